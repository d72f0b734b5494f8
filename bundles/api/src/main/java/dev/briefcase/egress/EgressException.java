package dev.briefcase.egress;

import dev.briefcase.error.BriefcaseException;

/**
 * A refused or failed egress call. {@link #code()} is stable and safe to show; the message is one
 * line, never contains a response body, a header value or a query string.
 */
public class EgressException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The URL is not an absolute hierarchical URL with a host, or does not parse. */
  public static final String URL_INVALID = "egress_url_invalid";

  /** The scheme is not https (or http to a loopback host in dev mode). */
  public static final String SCHEME_REFUSED = "egress_scheme_refused";

  /** The URL carries userinfo ({@code user:pass@host}). */
  public static final String USERINFO = "egress_userinfo";

  /** The URL carries a fragment. */
  public static final String FRAGMENT = "egress_fragment";

  /** The host is not in the policy's allow-list. */
  public static final String HOST_NOT_ALLOWED = "egress_host_not_allowed";

  /** The path is not under an allowed prefix, or contains dot segments or encoded separators. */
  public static final String PATH_NOT_ALLOWED = "egress_path_not_allowed";

  /** The host resolves to (or is) an address in a refused range. */
  public static final String ADDRESS_REFUSED = "egress_address_refused";

  /** The host name did not resolve. */
  public static final String DNS_FAILED = "egress_dns_failed";

  /** No validated address accepted the connection. */
  public static final String CONNECT_FAILED = "egress_connect_failed";

  /** The TLS handshake or certificate verification failed. */
  public static final String TLS_FAILED = "egress_tls_failed";

  /** The upstream answered 3xx; redirects are never followed. */
  public static final String REDIRECT_REFUSED = "egress_redirect_refused";

  /** The response (headers or body) exceeds the cap. */
  public static final String RESPONSE_TOO_LARGE = "egress_response_too_large";

  /** The connect, read or overall timeout expired. */
  public static final String TIMEOUT = "egress_timeout";

  /** The upstream's answer is not well-formed HTTP/1.1, or the connection broke mid-answer. */
  public static final String PROTOCOL_ERROR = "egress_protocol_error";

  /** The request itself is malformed (method, header names or values, reserved headers). */
  public static final String REQUEST_INVALID = "egress_request_invalid";

  /** The policy cannot be applied (for example an unparseable CIDR). */
  public static final String POLICY_INVALID = "egress_policy_invalid";

  /** The egress client is shut down. */
  public static final String UNAVAILABLE = "egress_unavailable";

  /**
   * @param code one of the constants of this class
   * @param message one line, no secrets; line breaks are replaced by spaces
   */
  public EgressException(String code, String message) {
    super(code, oneLine(message));
  }

  /**
   * @param code one of the constants of this class
   * @param message one line, no secrets; line breaks are replaced by spaces
   * @param cause kept for debugging; not part of the message
   */
  public EgressException(String code, String message, Throwable cause) {
    super(code, oneLine(message), cause);
  }

  private static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("[\\r\\n]+", " ");
  }
}
