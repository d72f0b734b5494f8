package dev.briefcase.connector.provider.internal;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialRevoker;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code vc} kind of the unified revocation ({@code POST /v1/revocations/vc/{id}}, SPEC §15):
 * deletes the provider's stored VC and drops its cached capability, so the next call mints with
 * OAuth or unauthenticated. The provider-side revocation is the provider's ({@code POST
 * /api/vc/revoke}); this only forgets locally.
 */
@Component(property = CredentialRevoker.KIND + "=vc")
public final class VcRevoker implements CredentialRevoker {
  private final CapabilityStrategy strategy;

  @Activate
  public VcRevoker(@Reference CapabilityStrategy strategy) {
    this.strategy = strategy;
  }

  @Override
  public boolean revoke(String id) throws CredentialException {
    return strategy.revokeVc(id);
  }
}
