package dev.briefcase.kernel.internal;

import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.ToolManifest;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The credential of one tool call (step 8): the strategy leased for the call, bound to the tool's
 * need and manifest. Closed when the call ends; a connector that keeps it gets nothing from it
 * afterwards.
 *
 * <ul>
 *   <li>A request target must be an http(s) URL of printable ASCII without userinfo or fragment,
 *       whose host and raw path the manifest allows by the egress layer's own rules ({@link
 *       EgressPolicy#allowsHost}, {@link EgressPolicy#allowsPath}), so a credential is never issued
 *       for a request egress would refuse or send elsewhere.
 *   <li>Each kind of retry (new nonce, refresh) is allowed once per call: once refreshed, any
 *       further refusal other than a nonce ends the call, so a bare 401 cannot rotate the grant
 *       twice; retries of one call are serialized.
 *   <li>Every header value issued for the call is remembered until the call ends (with its token
 *       after the scheme, a basic pair decoded and its password, and their percent-encoded forms),
 *       so the kernel can cut them out of whatever the tool returns: an upstream that echoes the
 *       credential back must not hand it to the agent ({@link #issuedValues}).
 * </ul>
 */
final class CallCredentialImpl implements CallCredential {
  /** Shorter values are not remembered for redaction: they would match ordinary text. */
  static final int MIN_REDACTED_LENGTH = 8;

  private final CredentialNeed need;
  private final CredentialStrategy strategy;
  private final EgressPolicy targets;
  private volatile boolean closed;
  private boolean nonceRetried; // guarded by this
  private boolean refreshed; // guarded by this
  private final Set<String> issued = new LinkedHashSet<>(); // guarded by issued

  CallCredentialImpl(CredentialNeed need, CredentialStrategy strategy, ToolManifest manifest) {
    this.need = need;
    this.strategy = strategy;
    this.targets = targets(manifest);
  }

  @Override
  public CredentialNeed need() {
    return need;
  }

  @Override
  public RequestCredential authorize(String method, URI target) throws CredentialException {
    open();
    checkTarget(target);
    RequestCredential granted = strategy.authorize(need, method, target);
    remember(granted);
    return granted;
  }

  @Override
  public synchronized void rejected(String method, URI target, Rejection rejection)
      throws CredentialException {
    open();
    checkTarget(target);
    boolean nonce = rejection != null && "use_dpop_nonce".equals(rejection.error());
    // a second refusal of a kind already retried ends the call before the strategy acts again
    if (nonce && nonceRetried) {
      throw again(CredentialException.DPOP_NONCE_REJECTED);
    }
    if (!nonce && refreshed) {
      throw again(CredentialException.CREDENTIAL_EXPIRED);
    }
    CredentialStrategy.Retry retry = strategy.rejected(need, method, target, rejection);
    if (retry == CredentialStrategy.Retry.NONCE && !nonceRetried) {
      nonceRetried = true;
      return;
    }
    if (retry == CredentialStrategy.Retry.REFRESHED && !refreshed) {
      refreshed = true;
      return;
    }
    throw again(
        retry == CredentialStrategy.Retry.NONCE
            ? CredentialException.DPOP_NONCE_REJECTED
            : CredentialException.CREDENTIAL_EXPIRED);
  }

  /** The values issued for this call, longest first, to be cut out of what the tool returns. */
  List<String> issuedValues() {
    List<String> out;
    synchronized (issued) {
      out = new ArrayList<>(issued);
    }
    out.sort((a, b) -> Integer.compare(b.length(), a.length()));
    return out;
  }

  void close() {
    closed = true;
  }

  /** Forgets the issued values; called once the call's answer is built. */
  void forget() {
    synchronized (issued) {
      issued.clear();
    }
  }

  private void remember(RequestCredential granted) {
    List<String> forms = new ArrayList<>();
    for (Sensitive<String> header : granted.headers().values()) {
      String value = header.reveal();
      forms.add(value);
      int space = value.indexOf(' ');
      if (space > 0) {
        String token = value.substring(space + 1).strip();
        forms.add(token);
        if (value.regionMatches(true, 0, "Basic ", 0, 6)) {
          try {
            String pair = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
            forms.add(pair);
            int colon = pair.indexOf(':');
            if (colon >= 0) {
              forms.add(pair.substring(colon + 1));
            }
          } catch (IllegalArgumentException e) {
            // not base64: the raw forms above are all there is
          }
        }
      }
    }
    synchronized (issued) {
      for (String form : forms) {
        if (form.length() >= MIN_REDACTED_LENGTH) {
          issued.add(form);
          issued.add(URLEncoder.encode(form, StandardCharsets.UTF_8));
        }
      }
    }
  }

  private static CredentialException again(String code) {
    return new CredentialException(code, "the resource refused the credential again after a retry");
  }

  private void open() throws CredentialException {
    if (closed) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_EXPIRED, "the call this credential was issued for ended");
    }
  }

  private void checkTarget(URI target) throws CredentialException {
    if (target == null
        || !target.isAbsolute()
        || target.isOpaque()
        || !target.toString().equals(target.toASCIIString())
        || target.getRawUserInfo() != null
        || target.getRawFragment() != null
        || target.getHost() == null
        || !("https".equalsIgnoreCase(target.getScheme())
            || "http".equalsIgnoreCase(target.getScheme()))
        || !targets.allowsHost(target.getHost())
        || !targets.allowsPath(target.getRawPath())) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED,
          "the request target is not a host and path the tool's manifest allows");
    }
  }

  /**
   * The manifest's hosts and path prefixes as egress reads them; a malformed one allows nothing.
   */
  private static EgressPolicy targets(ToolManifest manifest) {
    try {
      return EgressPolicy.of(
          Set.copyOf(lower(manifest.allowedHosts())), manifest.allowedHttpPathPrefixes());
    } catch (IllegalArgumentException e) {
      return EgressPolicy.of(Set.of(), List.of());
    }
  }

  private static List<String> lower(List<String> hosts) {
    List<String> out = new ArrayList<>();
    for (String h : hosts) {
      out.add(h.toLowerCase(Locale.ROOT));
    }
    return out;
  }
}
