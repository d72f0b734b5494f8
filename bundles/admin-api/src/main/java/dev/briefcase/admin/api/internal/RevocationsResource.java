package dev.briefcase.admin.api.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.credentials.CredentialRevoker;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code POST /v1/revocations/{kind}/{id}} (SPEC §15 Δ): one route for every kind of revocation, so
 * an operator or a runbook does not need to know where each credential lives. {@code oauth} revokes
 * a provider's grant as {@code /v1/providers/{id}/revoke} does; every other kind is a {@link
 * CredentialRevoker} service whose {@code revocation.kind} names it (e.g. {@code capability} of the
 * provider connector), looked up for each request, answering {@code {kind, id, revoked: true,
 * had_credential}}. An unknown kind is {@code unknown_revocation_kind} (404).
 */
final class RevocationsResource implements Router.Resource {
  static final String UNKNOWN_KIND = "unknown_revocation_kind";

  private final ProvidersResource providers;
  private final Function<String, Optional<CredentialRevoker>> revokers;

  RevocationsResource(
      ProvidersResource providers, Function<String, Optional<CredentialRevoker>> revokers) {
    this.providers = providers;
    this.revokers = revokers;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length != 4) {
      throw HttpError.notFound();
    }
    if ("oauth".equals(p[2])) {
      providers.revoke(ex, p[3]);
      return;
    }
    Optional<CredentialRevoker> revoker =
        p[2].matches("[a-z0-9_]{1,32}") ? revokers.apply(p[2]) : Optional.empty();
    if (revoker.isEmpty()) {
      throw new HttpError(UNKNOWN_KIND, "no revocation of this kind");
    }
    Requests.requireMethod(ex, "POST");
    Requests.drain(ex);
    boolean had = revoker.get().revoke(p[3]);
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("kind", p[2]);
    o.put("id", p[3]);
    o.put("revoked", true);
    o.put("had_credential", had);
    ex.send(200, o);
  }
}
