package dev.briefcase.admin.api.internal;

import java.io.IOException;

/**
 * {@code POST /v1/revocations/{kind}/{id}} (SPEC §15 Δ): one route for every kind of revocation, so
 * an operator or a runbook does not need to know where each credential lives. {@code oauth} revokes
 * a provider's grant as {@code /v1/providers/{id}/revoke} does; the kinds of later issues (signer
 * unpair, device tokens, MCP servers) join here. An unknown kind is {@code unknown_revocation_kind}
 * (404).
 */
final class RevocationsResource implements Router.Resource {
  static final String UNKNOWN_KIND = "unknown_revocation_kind";

  private final ProvidersResource providers;

  RevocationsResource(ProvidersResource providers) {
    this.providers = providers;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length != 4) {
      throw HttpError.notFound();
    }
    if (!"oauth".equals(p[2])) {
      throw new HttpError(UNKNOWN_KIND, "no revocation of this kind; known: oauth");
    }
    providers.revoke(ex, p[3]);
  }
}
