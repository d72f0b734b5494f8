package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialRevoker;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.EntitlementService;
import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.credentials.RevokeResult;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.osgi.service.component.ComponentServiceObjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/providers} (SPEC §8.1, §9, §15): list and add providers, {@code GET|DELETE
 * /v1/providers/{id}} (status; remove with its credentials), and {@code POST
 * /v1/providers/{id}/oauth/start|exchange|revoke} and {@code POST /v1/providers/{id}/vc/fetch}
 * (start takes an optional {@code redirect_uri} and {@code scope}; {@code POST
 * /v1/providers/{id}/revoke} is the same revocation, named for what it ends rather than for the
 * protocol). No answer carries a token or the verifier: a provider shows whether a refresh token
 * exists and when the access token held in memory expires.
 */
final class ProvidersResource implements Router.Resource {
  private static final Logger LOG = LoggerFactory.getLogger(ProvidersResource.class);
  private static final Set<String> ADD_FIELDS =
      Set.of("id", "base_url", "resource_url", "client_id", "scope");

  private final Backends backends;
  private final Supplier<EntitlementService> entitlements;
  private final Supplier<Collection<CredentialRevoker>> revokers;

  ProvidersResource(Backends backends) {
    this(backends, () -> null, List::of);
  }

  /**
   * @param revokers every revocation kind beyond oauth that is running (capability, vc, …): a
   *     deleted provider's credentials of those kinds go with it (SPEC §15 "Deletes")
   */
  ProvidersResource(
      Backends backends,
      Supplier<EntitlementService> entitlements,
      Supplier<Collection<CredentialRevoker>> revokers) {
    this.backends = backends;
    this.entitlements = entitlements;
    this.revokers = revokers;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      if ("POST".equals(ex.method())) {
        add(ex);
        return;
      }
      requireMethod(ex, "GET");
      ArrayNode arr = Views.JSON.createArrayNode();
      with(s -> s.list()).forEach(st -> arr.add(view(st)));
      ex.send(200, wrap("providers", arr));
      return;
    }
    String id = p[2];
    if (p.length == 3) {
      if ("DELETE".equals(ex.method())) {
        Requests.drain(ex);
        // the other kinds first: a revoker answers unknown_provider once the registry forgot the id
        dropOtherKinds(with(s -> s.status(id)).provider().id());
        ex.send(200, revoked(with(s -> s.remove(id))));
        return;
      }
      requireMethod(ex, "GET");
      ex.send(200, view(with(s -> s.status(id))));
      return;
    }
    if (p.length == 4 && p[3].equals("revoke")) {
      revoke(ex, id);
      return;
    }
    if (p.length == 5 && p[3].equals("oauth")) {
      requireMethod(ex, "POST");
      switch (p[4]) {
        case "start" -> start(ex, id);
        case "exchange" -> exchange(ex, id);
        case "revoke" -> revoke(ex, id);
        default -> throw HttpError.notFound();
      }
      return;
    }
    if (p.length == 5 && p[3].equals("vc") && p[4].equals("fetch")) {
      fetchVc(ex, id);
      return;
    }
    throw HttpError.notFound();
  }

  /**
   * Drops what every non-OAuth kind holds for a provider that is being deleted (its VC, its cached
   * capabilities). A kind that fails is logged by code and does not stop the delete: the registry
   * entry and the OAuth grant still go, and the kind's own revocation route stays available.
   */
  private void dropOtherKinds(String id) {
    for (CredentialRevoker revoker : revokers.get()) {
      try {
        revoker.revoke(id);
      } catch (CredentialException e) {
        LOG.warn("deleting provider {}: a revocation kind failed with {}", id, e.code());
      } catch (RuntimeException e) {
        LOG.warn("deleting provider {}: a revocation kind failed ({})", id, e.getClass().getName());
      }
    }
  }

  /**
   * {@code POST /v1/providers/{id}/vc/fetch} (SPEC §8.4): the provider issues a VC for this
   * Briefcase's holder DID; the answer says what it grants, never the VC.
   */
  private void fetchVc(Exchange ex, String id) throws IOException, HttpError {
    requireMethod(ex, "POST");
    Requests.drain(ex);
    EntitlementService service = entitlements.get();
    if (service == null) {
      throw HttpError.unavailable("entitlement service");
    }
    EntitlementService.Entitlement e = service.fetchVc(id);
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("provider_id", e.providerId());
    o.put("issuer", e.issuer());
    o.put("expires_at_rfc3339", e.expiresAt().toString());
    o.put("scope", e.scope());
    ex.send(200, o);
  }

  /**
   * RFC 7009 at the AS (best effort), then forgotten here; the next call with the provider fails
   * {@code credential_revoked}. Also served as {@code /v1/revocations/oauth/{id}}.
   */
  void revoke(Exchange ex, String id) throws IOException, HttpError {
    requireMethod(ex, "POST");
    Requests.drain(ex);
    ex.send(200, revoked(with(s -> s.revoke(id))));
  }

  private void add(Exchange ex) throws IOException, HttpError {
    JsonNode body = object(ex);
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!ADD_FIELDS.contains(name)) {
        throw HttpError.badRequest("invalid_request", "the body has an unknown field");
      }
    }
    String id = Requests.text(body, "id", 256);
    String baseUrl = Requests.text(body, "base_url", 2048);
    String resourceUrl = Requests.text(body, "resource_url", 2048);
    String clientId = Requests.text(body, "client_id", 256);
    String scope = Requests.text(body, "scope", 512);
    ex.send(201, view(with(s -> s.add(id, baseUrl, resourceUrl, clientId, scope))));
  }

  private void start(Exchange ex, String id) throws IOException, HttpError {
    JsonNode body = object(ex);
    String redirect = Requests.text(body, "redirect_uri", 2048);
    // a wider scope for the re-authorization after insufficient_scope
    String scope = Requests.text(body, "scope", 512);
    URI uri = null;
    if (redirect != null) {
      try {
        uri = new URI(redirect);
      } catch (URISyntaxException e) {
        throw HttpError.badRequest("invalid_redirect_uri", "redirect_uri is not a URL");
      }
    }
    URI r = uri;
    LoginStart start = with(s -> s.start(id, r, scope));
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("provider_id", start.providerId());
    o.put("authorization_url", start.authorizationUrl());
    o.put("state", start.state());
    ex.send(200, o);
  }

  private void exchange(Exchange ex, String id) throws IOException, HttpError {
    JsonNode body = object(ex);
    String code = Requests.text(body, "code", 4096);
    String state = Requests.text(body, "state", 256);
    String iss = Requests.text(body, "iss", 2048);
    if (code == null || state == null) {
      throw HttpError.badRequest("invalid_request", "code and state are required");
    }
    LoginResult result = with(s -> s.exchange(id, code, state, iss));
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("provider_id", result.providerId());
    o.put("has_oauth_refresh", true);
    o.put("dpop_bound", result.dpopBound());
    o.put("access_token_expires_at", result.accessTokenExpiresAt().toString());
    ex.send(200, o);
  }

  private static JsonNode object(Exchange ex) throws IOException, HttpError {
    JsonNode body = Requests.json(ex);
    if (body == null || body.isMissingNode()) {
      return Views.JSON.createObjectNode();
    }
    if (!body.isObject()) {
      throw HttpError.badRequest("invalid_request", "body must be a JSON object");
    }
    return body;
  }

  static ObjectNode view(ProviderStatus st) {
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("id", st.provider().id());
    o.put("base_url", st.provider().baseUrl());
    o.put("resource_url", st.provider().resourceUrl());
    o.put("client_id", st.provider().clientId());
    o.put("scope", st.provider().scope());
    o.put("has_oauth_refresh", st.hasRefreshToken());
    Instant exp = st.accessTokenExpiresAt();
    o.put("access_token_expires_at", exp == null ? null : exp.toString());
    return o;
  }

  static ObjectNode revoked(RevokeResult r) {
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("provider_id", r.providerId());
    o.put("had_refresh_token", r.hadRefreshToken());
    o.put("remote_revocation_attempted", r.remoteRevocationAttempted());
    o.put("remote_revocation_succeeded", r.remoteRevocationSucceeded());
    return o;
  }

  private interface Work<T> {
    T run(CredentialService service);
  }

  /**
   * Runs work on the credential service looked up for this request (service objects, so the service
   * and the secret store it needs are activated on first use, not at start-up).
   */
  private <T> T with(Work<T> work) throws HttpError {
    ComponentServiceObjects<CredentialService> objects =
        need(backends.credentials(), "credential service");
    CredentialService service = objects.getService();
    if (service == null) {
      throw HttpError.unavailable("credential service");
    }
    try {
      return work.run(service);
    } finally {
      objects.ungetService(service);
    }
  }
}
