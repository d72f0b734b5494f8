package dev.briefcase.credential.secrets.internal;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a secret named by a {@link CredentialNeed} for one request and checks what may become a
 * header: pure functions over the store, shared by both strategies. The secret is read for each
 * request (never cached here), and its bytes are wiped once the header value is built.
 */
final class SecretHeader {
  /** Headers a credential may never set: they steer the request itself, not its authorisation. */
  private static final Set<String> RESERVED =
      Set.of(
          "host",
          "content-length",
          "content-type",
          "transfer-encoding",
          "connection",
          "upgrade",
          "te",
          "trailer",
          "expect",
          "proxy-authorization",
          "dpop",
          "cookie");

  private SecretHeader() {}

  /**
   * Whether a stored secret exists for the need, without keeping its value.
   *
   * @throws CredentialException {@code missing_secret}, {@code secret_store_unavailable}, …
   */
  static void requirePresent(SecretStore store, CredentialNeed need) throws CredentialException {
    read(store, need).wipe();
  }

  /**
   * The secret as a header value: printable ASCII only (0x20 to 0x7e), the only bytes every hop
   * passes through unchanged; egress would refuse anything else after the secret was read.
   *
   * @throws CredentialException {@code missing_secret}, {@code invalid_secret_value}, or the
   *     store's code
   */
  static String text(SecretStore store, CredentialNeed need) throws CredentialException {
    Sensitive<byte[]> secret = read(store, need);
    byte[] bytes = secret.reveal();
    try {
      if (bytes.length == 0 || !printableAscii(bytes)) {
        throw invalidValue(need);
      }
      return new String(bytes, StandardCharsets.US_ASCII);
    } finally {
      Arrays.fill(bytes, (byte) 0);
      secret.wipe();
    }
  }

  /**
   * The secret as one line of UTF-8 text without control characters (C0, DEL, C1), for a value that
   * is encoded before it becomes a header (Basic's {@code user:password}, RFC 7617).
   *
   * @throws CredentialException {@code missing_secret}, {@code invalid_secret_value}, or the
   *     store's code
   */
  static String utf8Text(SecretStore store, CredentialNeed need) throws CredentialException {
    Sensitive<byte[]> secret = read(store, need);
    byte[] bytes = secret.reveal();
    try {
      String value =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      if (value.isEmpty() || value.chars().anyMatch(Character::isISOControl)) {
        throw invalidValue(need);
      }
      return value;
    } catch (CharacterCodingException e) {
      throw invalidValue(need);
    } finally {
      Arrays.fill(bytes, (byte) 0);
      secret.wipe();
    }
  }

  private static boolean printableAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0x20 || b > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /**
   * A header name an operator chose for an API key: an RFC 9110 token, not one of the {@link
   * #RESERVED} names.
   *
   * @throws CredentialException {@code invalid_credential_need}
   */
  static String headerName(String name) throws CredentialException {
    if (name == null
        || !name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
        || RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
      throw new CredentialException(
          CredentialException.INVALID_CREDENTIAL_NEED, "the API key header name is not allowed");
    }
    return name;
  }

  private static Sensitive<byte[]> read(SecretStore store, CredentialNeed need)
      throws CredentialException {
    Optional<Sensitive<byte[]>> stored;
    try {
      stored = store.get(need.reference());
    } catch (SecretStoreException e) {
      throw new CredentialException(e.code(), "the secret store could not be read");
    }
    return stored.orElseThrow(
        () ->
            new CredentialException(
                CredentialException.MISSING_SECRET,
                "no secret is stored under " + need.reference()));
  }

  private static CredentialException invalidValue(CredentialNeed need) {
    return new CredentialException(
        CredentialException.INVALID_SECRET_VALUE,
        "the secret " + need.reference() + " is not one line of text usable in a header");
  }
}
