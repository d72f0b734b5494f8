package dev.briefcase.connector.provider.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.credentials.AccessCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.EntitlementService;
import dev.briefcase.credentials.EntitlementService.Entitlement;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.VcException;
import dev.briefcase.vc.VcJwt;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VC fetch of {@link EntitlementService} (SPEC §8.4): {@code POST {base}/vc/issue} with an
 * access token and a holder proof, the answer verified, its issuer pinned at the first fetch, and
 * stored.
 */
final class VcFetch {
  private static final Logger LOG = LoggerFactory.getLogger(CapabilityStrategy.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final CredentialService credentials;
  private final EgressClient egress;
  private final CapabilityMinter minter;
  private final VcStep vc;
  private final VcVault vault;
  private final CapabilityReceipts receipts;
  private final boolean loopbackAllowed;
  private final Clock clock;

  VcFetch(
      CredentialService credentials,
      EgressClient egress,
      CapabilityMinter minter,
      VcStep vc,
      VcVault vault,
      CapabilityReceipts receipts,
      boolean loopbackAllowed,
      Clock clock) {
    this.credentials = credentials;
    this.egress = egress;
    this.minter = minter;
    this.vc = vc;
    this.vault = vault;
    this.receipts = receipts;
    this.loopbackAllowed = loopbackAllowed;
    this.clock = clock;
  }

  /**
   * {@code POST {base}/vc/issue?holder_did=} with an access token (SPEC §8.4) and a holder proof:
   * by this bundle's {@code dpop:cap.<id>} key with an unbound (Bearer) token, by the OAuth DPoP
   * key with a DPoP-bound one (its proof is also the token's); the provider binds the VC to that
   * key. The answer is verified (holder, issuer pinned at the first fetch, validity) and stored.
   */
  Entitlement fetch(String providerId) throws CredentialException {
    if (providerId == null || !providerId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new CredentialException(CredentialException.UNKNOWN_PROVIDER, "no such provider");
    }
    ProviderStatus st = credentials.status(providerId);
    String id = st.provider().id();
    URI base = ProviderUrls.baseUrl(st);
    URI issueUrl = base.resolve("/vc/issue");
    if (!st.hasRefreshToken()) {
      // SPEC §8.4: the issue needs an OAuth grant; no network without one
      throw new CredentialException(
          CredentialException.MISSING_REFRESH_TOKEN, "log in to provider " + id + " first");
    }
    try {
      Entitlement e = issue(id, base, issueUrl);
      receipts.append(
          receipts
              .vcEvent("fetch", id, "ok")
              .put("issuer", e.issuer())
              .put("expires_at", e.expiresAt().toString()));
      return e;
    } catch (CredentialException e) {
      if (!CapabilityStrategy.RECEIPT_UNAVAILABLE.equals(e.code())) {
        receipts.append(receipts.vcEvent("fetch", id, "failed").put("code", e.code()));
      }
      throw e;
    }
  }

  private Entitlement issue(String id, URI base, URI issueUrl) throws CredentialException {
    String holder;
    try {
      holder = vc.holderDid();
    } catch (VcException e) {
      throw issueFailed(e.code(), "the identity key is not an Ed25519 did:key");
    }
    // missing_refresh_token / oauth_refresh_failed end the fetch with their own code
    AccessCredential access = credentials.accessCredential(id, "POST", issueUrl);
    String authorization = access.authorization().reveal();
    boolean bound = access.dpopProof() != null;
    Sensitive<String> accessToken = null;
    if (bound) {
      if (!authorization.regionMatches(true, 0, "DPoP ", 0, 5)) {
        throw issueFailed(
            CapabilityStrategy.CAPABILITY_MINT_FAILED, "the access credential is not a DPoP token");
      }
      accessToken = Sensitive.of(authorization.substring(5));
    }
    URI target =
        URI.create(issueUrl + "?holder_did=" + URLEncoder.encode(holder, StandardCharsets.UTF_8));
    EgressPolicy policy =
        ProviderUrls.policy(base, "/vc/issue", loopbackAllowed)
            .withMaxResponseBytes(VcJwt.MAX_CHARS + 4096);
    String origin = ProviderUrls.origin(base);
    EgressResponse res;
    for (int attempt = 1; ; attempt++) {
      String nonce = minter.nonce(origin);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Accept", "application/json");
      headers.put("Authorization", authorization);
      headers.put(
          "DPoP",
          bound
              ? (attempt == 1 && nonce == null
                  ? access.dpopProof().reveal()
                  : credentials.dpopProof(id, "POST", issueUrl, accessToken, nonce).reveal())
              : minter.ownProof(id, "POST", issueUrl, null, nonce));
      try {
        res =
            egress.send(new EgressRequest("POST", target.toString(), headers, new byte[0]), policy);
      } catch (EgressException e) {
        throw issueFailed(e.code(), "the VC issue request failed");
      }
      boolean nonceIssued = minter.keepNonce(issueUrl, res.header("dpop-nonce"));
      String error = CapabilityMinter.bodyError(res);
      if ((res.status() == 400 || res.status() == 401)
          && ("use_dpop_nonce".equals(error)
              || String.valueOf(res.header("www-authenticate")).contains("use_dpop_nonce"))
          && attempt == 1
          && nonceIssued) {
        continue;
      }
      break;
    }
    if (res.status() != 200) {
      String error = CapabilityMinter.bodyError(res);
      throw issueFailed(
          error != null && error.matches("[a-z0-9_]{1,64}") ? error : "http_" + res.status(),
          "the provider refused to issue a VC (HTTP " + res.status() + ")");
    }
    String jwt;
    try {
      JsonNode body = JSON.readTree(res.body());
      JsonNode v = body == null ? null : body.get("vc_jwt");
      if (v == null || !v.isTextual()) {
        throw issueFailed("invalid_vc", "the issue answer has no vc_jwt");
      }
      jwt = v.asText();
    } catch (IOException e) {
      throw issueFailed("invalid_vc", "the issue answer is not JSON");
    }
    VcJwt.Verified vc;
    Optional<String> pinned = vault.pinnedIssuer(id);
    try {
      vc = VcJwt.verify(jwt, holder, pinned.orElse(null), clock.instant());
      // the issuer must be the key the provider signs with: a did:key is all a holder can pin
      DidKey.parse(vc.issuer());
    } catch (VcException e) {
      throw issueFailed(e.code(), "the issued VC does not verify");
    }
    if (pinned.isEmpty()) {
      vault.pinIssuer(id, vc.issuer());
      LOG.info("provider {}: VC issuer pinned at the first fetch", id);
    }
    vault.store(id, jwt, bound ? VcVault.Binding.OAUTH : VcVault.Binding.CAP);
    LOG.info("provider {}: VC fetched and stored", id);
    return new Entitlement(id, vc.issuer(), vc.validUntil(), vc.scope());
  }

  private static CredentialException issueFailed(String cause, String message) {
    return new CredentialException(
        EntitlementService.VC_ISSUE_FAILED, message + " (cause: " + cause + ")");
  }
}
