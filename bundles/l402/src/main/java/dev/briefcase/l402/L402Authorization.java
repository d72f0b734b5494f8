package dev.briefcase.l402;

import java.util.Locale;

/**
 * The credential for a paid L402 request: {@code Authorization: L402 <macaroon b64>:<preimage hex>}
 * (legacy scheme {@code LSAT}). Holds a bearer secret: {@link #toString()} names the scheme only.
 *
 * @param scheme {@code L402} or {@code LSAT}
 * @param macaroon the macaroon, base64 as the server sent it
 * @param preimageHex 64 hex digits
 */
public record L402Authorization(String scheme, String macaroon, String preimageHex) {
  /** Longest Authorization value parsed. */
  public static final int MAX_VALUE = 16 * 1024;

  /** The header value; the preimage in lower case, as Aperture expects. */
  public String format() {
    return scheme + " " + macaroon + ":" + preimageHex.toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "L402Authorization[" + scheme + "]";
  }

  /**
   * Parses an Authorization value (scheme in any case).
   *
   * @throws L402Exception {@code authorization_invalid}: another scheme, no {@code :}, a macaroon
   *     that is not base64, or a preimage that is not 64 hex digits
   */
  public static L402Authorization parse(String value) throws L402Exception {
    if (value == null || value.length() > MAX_VALUE) {
      throw new L402Exception("authorization_invalid", "missing or oversized credential");
    }
    int space = value.indexOf(' ');
    if (space < 0) {
      throw new L402Exception("authorization_invalid", "credential has no scheme");
    }
    String scheme = value.substring(0, space).toUpperCase(Locale.ROOT);
    if (!scheme.equals("L402") && !scheme.equals("LSAT")) {
      throw new L402Exception("authorization_invalid", "not an L402 credential");
    }
    String token = value.substring(space + 1).strip();
    int colon = token.indexOf(':');
    if (colon <= 0 || colon != token.lastIndexOf(':')) {
      throw new L402Exception("authorization_invalid", "credential is not macaroon:preimage");
    }
    String macaroon = token.substring(0, colon);
    String preimage = token.substring(colon + 1);
    if (!macaroon.matches("[A-Za-z0-9+/_-]+={0,2}")) {
      throw new L402Exception("authorization_invalid", "macaroon is not base64");
    }
    if (!Preimage.isHex32(preimage)) {
      throw new L402Exception("authorization_invalid", "preimage is not 64 hex digits");
    }
    return new L402Authorization(scheme, macaroon, preimage);
  }
}
