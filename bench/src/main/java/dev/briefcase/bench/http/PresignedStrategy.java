package dev.briefcase.bench.http;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import java.net.URI;

/**
 * A control for the DPoP variant: the headers of {@link CachedDpopStrategy} (token and a real
 * proof, same sizes) built once and handed out for every request, so the difference between the two
 * variants is the per-request signature and the rest of the DPoP step is measured on its own. A
 * resource that checks {@code jti} would refuse the repeats; the bench's upstream does not.
 */
final class PresignedStrategy implements CredentialStrategy {
  static final String KIND = "bench_presigned";

  private final CredentialStrategy signing;
  private volatile RequestCredential once;

  PresignedStrategy(CredentialStrategy signing) {
    this.signing = signing;
  }

  @Override
  public void preflight(CredentialNeed need) throws CredentialException {
    signing.preflight(need);
  }

  @Override
  public RequestCredential authorize(CredentialNeed need, String method, URI target)
      throws CredentialException {
    RequestCredential c = once;
    if (c == null) {
      c = signing.authorize(need, method, target);
      once = c;
    }
    return c;
  }

  @Override
  public Retry rejected(CredentialNeed need, String method, URI target, Rejection rejection)
      throws CredentialException {
    return signing.rejected(need, method, target, rejection);
  }
}
