package dev.briefcase.kernel.internal;

import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.tools.ToolManifest;
import java.net.URI;
import java.util.Locale;

/**
 * The credential of one tool call (step 8): the strategy leased for the call, bound to the tool's
 * need and manifest. A request target must be an http(s) URL without userinfo or fragment on a host
 * and path prefix the manifest allows, so neither a templated URL nor a confused connector can
 * carry the credential elsewhere (the egress layer checks the same manifest again when it sends).
 * Each kind of retry (new nonce, refresh) is allowed once per call. Closed when the call ends; a
 * connector that keeps it gets nothing from it afterwards.
 */
final class CallCredentialImpl implements CallCredential {
  private final CredentialNeed need;
  private final CredentialStrategy strategy;
  private final ToolManifest manifest;
  private volatile boolean closed;
  private boolean nonceRetried; // guarded by this
  private boolean refreshed; // guarded by this

  CallCredentialImpl(CredentialNeed need, CredentialStrategy strategy, ToolManifest manifest) {
    this.need = need;
    this.strategy = strategy;
    this.manifest = manifest;
  }

  @Override
  public CredentialNeed need() {
    return need;
  }

  @Override
  public RequestCredential authorize(String method, URI target) throws CredentialException {
    open();
    checkTarget(target);
    return strategy.authorize(need, method, target);
  }

  @Override
  public void rejected(String method, URI target, Rejection rejection) throws CredentialException {
    open();
    checkTarget(target);
    String error = rejection == null ? null : rejection.error();
    // a second refusal of the same kind ends the call before the strategy acts again (a second
    // refresh would rotate the grant once more for nothing)
    synchronized (this) {
      if ("invalid_token".equals(error) && refreshed) {
        throw again(CredentialException.CREDENTIAL_EXPIRED);
      }
      if ("use_dpop_nonce".equals(error) && nonceRetried) {
        throw again(CredentialException.DPOP_NONCE_REJECTED);
      }
    }
    CredentialStrategy.Retry retry = strategy.rejected(need, method, target, rejection);
    synchronized (this) {
      if (retry == CredentialStrategy.Retry.NONCE && !nonceRetried) {
        nonceRetried = true;
        return;
      }
      if (retry == CredentialStrategy.Retry.REFRESHED && !refreshed) {
        refreshed = true;
        return;
      }
    }
    throw again(
        retry == CredentialStrategy.Retry.NONCE
            ? CredentialException.DPOP_NONCE_REJECTED
            : CredentialException.CREDENTIAL_EXPIRED);
  }

  private static CredentialException again(String code) {
    return new CredentialException(code, "the resource refused the credential again after a retry");
  }

  void close() {
    closed = true;
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
        || target.getRawUserInfo() != null
        || target.getRawFragment() != null
        || target.getHost() == null
        || !("https".equalsIgnoreCase(target.getScheme())
            || "http".equalsIgnoreCase(target.getScheme()))) {
      throw refused();
    }
    String host = target.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    boolean hostAllowed = false;
    for (String allowed : manifest.allowedHosts()) {
      String a = allowed.toLowerCase(Locale.ROOT);
      if (a.equals(host) || (a.startsWith("*.") && host.endsWith(a.substring(1)))) {
        hostAllowed = true;
        break;
      }
    }
    if (!hostAllowed) {
      throw refused();
    }
    String path =
        target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
    if (path.contains("/../") || path.endsWith("/..") || path.contains("/./")) {
      throw refused();
    }
    if (!manifest.allowedHttpPathPrefixes().isEmpty()
        && manifest.allowedHttpPathPrefixes().stream().noneMatch(path::startsWith)) {
      throw refused();
    }
  }

  private static CredentialException refused() {
    return new CredentialException(
        CredentialException.CREDENTIAL_TARGET_REFUSED,
        "the request target is not a host and path the tool's manifest allows");
  }
}
