package dev.briefcase.credentials;

/**
 * What a resource answered when it refused a credential (RFC 6750 §3, RFC 9449 §7–9): the status,
 * the {@code WWW-Authenticate} challenge, a {@code DPoP-Nonce} and an {@code x-briefcase-error}
 * detail, each null when absent. The body is not part of it: it is the resource's, not ours to
 * interpret.
 */
public record Rejection(int status, String wwwAuthenticate, String dpopNonce, String errorDetail) {
  /**
   * The {@code error} parameter of the challenge ({@code invalid_token}, {@code use_dpop_nonce},
   * {@code insufficient_scope}, …), or null.
   */
  public String error() {
    return challengeParameter("error");
  }

  /** The {@code scope} parameter of the challenge (the scope a 403 asks for), or null. */
  public String scope() {
    return challengeParameter("scope");
  }

  private String challengeParameter(String name) {
    if (wwwAuthenticate == null) {
      return null;
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?:^|[\\s,])" + name + "\\s*=\\s*(?:\"([^\"]{0,512})\"|([^\\s,\"]{1,512}))")
            .matcher(wwwAuthenticate);
    return m.find() ? (m.group(1) != null ? m.group(1) : m.group(2)) : null;
  }
}
