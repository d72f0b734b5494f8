package dev.briefcase.oauth.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.credentials.AccessCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.Provider;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.credentials.RevokeResult;
import dev.briefcase.edge.secrets.LazySecretStore;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.store.Store;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CredentialService}: the provider registry in the store ({@link ProviderTable}) over
 * the protocol core {@link OAuthClient}. Entries are re-validated on every read (SPEC §8.1); one
 * that no longer passes is left out of the client and reported with its code. Adding and removing a
 * provider is receipted ({@code type: provider}); logins, refreshes and revocations are receipted
 * by the client. Every refusal is a {@link CredentialException} with the step's stable code.
 *
 * <p>Also the {@code oauth} {@link CredentialStrategy} (step 8): the need's reference is a provider
 * id. A revocation is recorded in the registry before anything else happens (and survives a
 * restart), so the next call fails at pre-flight with {@code credential_revoked} without a network
 * call; a refresh token the AS refuses sets the same mark. Only the next successful login clears
 * it.
 */
// immediate: login sessions and access tokens live in this instance's memory, so it must not be
// disposed when no one holds the service (as a delayed component would be between two requests)
// one instance for both services: the strategy hands out the access tokens this service holds
@Component(
    service = {CredentialService.class, CredentialStrategy.class},
    property = CredentialStrategy.KIND + "=" + CredentialNeed.OAUTH,
    configurationPid = "dev.briefcase.oauth",
    immediate = true)
@Designate(ocd = OAuthCredentials.Config.class)
public final class OAuthCredentials implements CredentialService, CredentialStrategy {
  private static final Logger LOG = LoggerFactory.getLogger(OAuthCredentials.class);

  /** The callback a login uses when its start names none. */
  static final URI DEFAULT_REDIRECT = URI.create("http://127.0.0.1/callback");

  @ObjectClassDefinition(name = "Briefcase OAuth")
  public @interface Config {
    @AttributeDefinition(description = "Connect timeout to an AS or resource, in milliseconds.")
    int connect_timeout_ms() default 3000;

    @AttributeDefinition(description = "Deadline of one HTTP exchange incl. body, in milliseconds.")
    int deadline_ms() default 10000;

    @AttributeDefinition(description = "Largest response body read from an AS, in bytes.")
    int max_response_bytes() default 1 << 20;
  }

  private final ProviderTable table;
  private final OAuthClient client;
  private final ReceiptLog receipts;
  private final Clock clock;
  private final Object registry = new Object();

  @Activate
  public OAuthCredentials(
      Config config,
      @Reference Store store,
      @Reference KeyDirectory keys,
      @Reference ComponentServiceObjects<SecretStore> secrets,
      @Reference ReceiptLog receipts) {
    this(
        new ProviderTable(store),
        new OAuthClient(
            new HttpTransport(
                Duration.ofMillis(config.connect_timeout_ms()),
                Duration.ofMillis(config.deadline_ms()),
                config.max_response_bytes()),
            keys,
            new LazySecretStore(secrets),
            receipts,
            Clock.systemUTC()),
        receipts,
        Clock.systemUTC());
  }

  @Deactivate
  void deactivate() {
    client.close();
  }

  OAuthCredentials(ProviderTable table, OAuthClient client, ReceiptLog receipts, Clock clock) {
    this.table = table;
    this.client = client;
    this.receipts = receipts;
    this.clock = clock;
    for (String[] row : table.rows()) {
      try {
        client.register(toClient(ProviderTable.check(row[0], row[1], row[2], row[3], row[4])));
      } catch (CredentialException | OAuthException e) {
        LOG.warn("oauth provider {} is not loaded: {}", safeId(row[0]), e.code());
      }
    }
  }

  @Override
  public List<ProviderStatus> list() throws CredentialException {
    List<ProviderStatus> out = new ArrayList<>();
    for (String[] row : table.rows()) {
      try {
        out.add(status(checked(row)));
      } catch (CredentialException e) {
        LOG.warn("oauth provider {} fails its rules: {}", safeId(row[0]), e.code());
      }
    }
    return out;
  }

  @Override
  public ProviderStatus add(
      String id, String baseUrl, String resourceUrl, String clientId, String scope)
      throws CredentialException {
    Provider p = ProviderTable.check(id, baseUrl, resourceUrl, clientId, scope);
    synchronized (registry) {
      if (!table.insert(p, clock.instant())) {
        throw new CredentialException(
            CredentialException.PROVIDER_EXISTS, "a provider with this id exists");
      }
      try {
        client.register(toClient(p));
      } catch (OAuthException e) {
        table.delete(p.id());
        throw wrap(e);
      }
    }
    receipt("add", p);
    LOG.info("oauth provider {} added ({})", p.id(), p.baseUrl());
    return status(p);
  }

  /**
   * Revokes and removes a provider. An entry that no longer passes its rules is never contacted: it
   * is only forgotten locally, so a tampered entry can still be cleaned up.
   */
  @Override
  public RevokeResult remove(String id) throws CredentialException {
    synchronized (registry) {
      String[] row = id == null ? null : table.row(id).orElse(null);
      if (row == null) {
        throw unknown();
      }
      RevokeResult revoked;
      Provider p;
      try {
        p = checked(row);
        revoked = revoke(p.id());
      } catch (CredentialException e) {
        LOG.warn("oauth provider {} fails its rules ({}); forgotten locally", safeId(id), e.code());
        p = new Provider(id, String.valueOf(row[1]), String.valueOf(row[2]), null, null);
        revoked = new RevokeResult(id, status(p).hasRefreshToken(), false, false);
      }
      client.unregister(id);
      table.delete(id);
      receipt("remove", p);
      LOG.info("oauth provider {} removed", safeId(id));
      return revoked;
    }
  }

  @Override
  public ProviderStatus status(String id) throws CredentialException {
    return status(stored(id));
  }

  private ProviderStatus status(Provider p) throws CredentialException {
    try {
      return new ProviderStatus(
          p, client.hasRefreshToken(p.id()), client.accessTokenExpiry(p.id()).orElse(null));
    } catch (OAuthException e) {
      throw wrap(e);
    }
  }

  @Override
  public LoginStart start(String id, URI redirectUri) throws CredentialException {
    return start(id, redirectUri, null);
  }

  @Override
  public LoginStart start(String id, URI redirectUri, String scope) throws CredentialException {
    stored(id);
    if (scope != null) {
      ProviderTable.checkScope(scope);
    }
    try {
      OAuthClient.LoginStart s = client.start(id, redirectUri, scope);
      return new LoginStart(s.providerId(), s.authorizationUrl().toString(), s.state());
    } catch (OAuthException e) {
      throw wrap(e);
    }
  }

  @Override
  public LoginResult exchange(String id, String code, String state, String iss)
      throws CredentialException {
    stored(id);
    try {
      Instant expires = client.exchange(id, code, state, iss);
      table.setRevoked(id, null);
      return new LoginResult(id, expires, client.dpopBound(id));
    } catch (OAuthException e) {
      throw wrap(e);
    }
  }

  @Override
  public RevokeResult revoke(String id) throws CredentialException {
    stored(id);
    // first, so a call that starts from now on fails at pre-flight even while the AS is slow
    table.setRevoked(id, clock.instant());
    try {
      OAuthClient.RevokeResult r = client.revoke(id);
      return new RevokeResult(
          r.providerId(),
          r.hadRefreshToken(),
          r.remoteRevocationAttempted(),
          r.remoteRevocationSucceeded());
    } catch (OAuthException e) {
      throw wrap(e);
    }
  }

  @Override
  public AccessCredential accessCredential(String id, String method, URI target)
      throws CredentialException {
    OAuthClient.Authorization a = authorization(id, method, target);
    return new AccessCredential(
        Sensitive.of(a.authorization()),
        a.proof() == null ? null : Sensitive.of(a.proof()),
        a.expiresAt());
  }

  @Override
  public Sensitive<String> dpopProof(
      String id, String method, URI target, Sensitive<String> boundToken, String nonce)
      throws CredentialException {
    notRevoked(id);
    if (boundToken == null) {
      throw new CredentialException("invalid_request", "no token to bind the proof to");
    }
    try {
      return Sensitive.of(
          client.proofForBoundToken(id, method, target, boundToken.reveal(), nonce));
    } catch (OAuthException e) {
      throw wrap(e);
    }
  }

  // --- the oauth credential strategy --------------------------------------------------------

  /** No network: the registry, the revocation mark, the memory and the secret store. */
  @Override
  public void preflight(CredentialNeed need) throws CredentialException {
    String id = providerOf(need);
    notRevoked(id);
    try {
      if (client.accessTokenExpiry(id).filter(t -> t.isAfter(clock.instant())).isEmpty()
          && !client.hasRefreshToken(id)) {
        throw new CredentialException(
            CredentialException.MISSING_REFRESH_TOKEN, "no login is stored for this provider");
      }
    } catch (OAuthException e) {
      throw wrap(e);
    }
  }

  @Override
  public RequestCredential authorize(CredentialNeed need, String method, URI target)
      throws CredentialException {
    OAuthClient.Authorization a = authorization(providerOf(need), method, target);
    Map<String, Sensitive<String>> headers = new LinkedHashMap<>();
    headers.put("Authorization", Sensitive.of(a.authorization()));
    if (a.proof() != null) {
      headers.put("DPoP", Sensitive.of(a.proof()));
    }
    return new RequestCredential(headers, a.expiresAt());
  }

  @Override
  public Retry rejected(CredentialNeed need, String method, URI target, Rejection rejection)
      throws CredentialException {
    String id = providerOf(need);
    notRevoked(id);
    try {
      return client.rejected(id, target, rejection);
    } catch (OAuthException e) {
      throw failed(id, e);
    }
  }

  /** The provider a need names, after its registry entry passes its rules. */
  private String providerOf(CredentialNeed need) throws CredentialException {
    if (need == null || !CredentialNeed.OAUTH.equals(need.strategy())) {
      throw new CredentialException(
          CredentialException.INVALID_CREDENTIAL_NEED, "not an oauth credential need");
    }
    return stored(need.reference()).id();
  }

  private OAuthClient.Authorization authorization(String id, String method, URI target)
      throws CredentialException {
    notRevoked(id);
    try {
      return client.authorize(id, method, target);
    } catch (OAuthException e) {
      throw failed(id, e);
    }
  }

  private void notRevoked(String id) throws CredentialException {
    String[] row = table.row(id).orElseThrow(OAuthCredentials::unknown);
    if (ProviderTable.revoked(row)) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_REVOKED, "the credential was revoked; log in again");
    }
  }

  /** The step's code; the AS refusing the refresh token marks the provider revoked. */
  private CredentialException failed(String id, OAuthException e) {
    if (CredentialException.CREDENTIAL_REVOKED.equals(e.code())) {
      table.setRevoked(id, clock.instant());
      LOG.warn("oauth provider {}: the AS refused the refresh token; marked revoked", id);
    }
    return wrap(e);
  }

  // --- helpers ------------------------------------------------------------------------------

  /** The stored entry, re-validated (SPEC §8.1), else {@code unknown_provider} or its rule. */
  private Provider stored(String id) throws CredentialException {
    if (id == null) {
      throw unknown();
    }
    String[] row = table.row(id).orElseThrow(OAuthCredentials::unknown);
    return checked(row);
  }

  private static Provider checked(String[] row) throws CredentialException {
    return ProviderTable.check(row[0], row[1], row[2], row[3], row[4]);
  }

  private static CredentialException unknown() {
    return new CredentialException(CredentialException.UNKNOWN_PROVIDER, "no such provider");
  }

  private static OAuthClient.Provider toClient(Provider p) {
    return new OAuthClient.Provider(
        p.id(), URI.create(p.resourceUrl()), p.clientId(), DEFAULT_REDIRECT, p.scope());
  }

  private static CredentialException wrap(OAuthException e) {
    return new CredentialException(e.code(), e.getMessage());
  }

  private void receipt(String action, Provider p) throws CredentialException {
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("type", "provider");
    e.put("action", action);
    e.put("provider", p.id());
    e.put("base_url", p.baseUrl());
    e.put("ts", clock.instant().toString());
    try {
      receipts.append(e);
    } catch (ReceiptException ex) {
      throw new CredentialException(ex.code(), "the receipt log refused the provider receipt");
    }
  }

  /** An id from the store for a log line: only its allowed characters, at most 64. */
  private static String safeId(String id) {
    String s = id == null ? "" : id.replaceAll("[^A-Za-z0-9._-]", "?");
    return s.length() > 64 ? s.substring(0, 64) : s;
  }
}
