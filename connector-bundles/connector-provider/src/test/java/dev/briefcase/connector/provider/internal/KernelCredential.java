package dev.briefcase.connector.provider.internal;

import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.tools.ToolManifest;
import java.net.URI;
import java.util.Set;

/**
 * The kernel's side of a call's credential as the tests need it (the rules of the kernel's
 * CallCredentialImpl): targets the manifest allows only, each kind of retry once per call.
 */
final class KernelCredential implements CallCredential {
  private final CredentialNeed need;
  private final CredentialStrategy strategy;
  private final EgressPolicy targets;
  private boolean nonceRetried;
  private boolean refreshed;

  KernelCredential(CredentialNeed need, CredentialStrategy strategy, ToolManifest manifest) {
    this.need = need;
    this.strategy = strategy;
    this.targets =
        EgressPolicy.of(Set.copyOf(manifest.allowedHosts()), manifest.allowedHttpPathPrefixes());
  }

  @Override
  public CredentialNeed need() {
    return need;
  }

  @Override
  public RequestCredential authorize(String method, URI target) {
    check(target);
    return strategy.authorize(need, method, target);
  }

  @Override
  public synchronized void rejected(String method, URI target, Rejection rejection) {
    check(target);
    boolean nonce = "use_dpop_nonce".equals(rejection.error());
    if (nonce && nonceRetried) {
      throw new CredentialException(CredentialException.DPOP_NONCE_REJECTED, "again");
    }
    if (!nonce && refreshed) {
      throw new CredentialException(CredentialException.CREDENTIAL_EXPIRED, "again");
    }
    CredentialStrategy.Retry retry = strategy.rejected(need, method, target, rejection);
    if (retry == CredentialStrategy.Retry.NONCE) {
      nonceRetried = true;
    } else {
      refreshed = true;
    }
  }

  private void check(URI target) {
    if (!targets.allowsHost(target.getHost()) || !targets.allowsPath(target.getRawPath())) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED, "not a target the manifest allows");
    }
  }
}
