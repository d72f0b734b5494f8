package dev.briefcase.connector.provider.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.provider.internal.Capability.MintedVia;
import dev.briefcase.credentials.AccessCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.payment.PaidRetry;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mint over egress (SPEC §8.2, §8.5): the mint order (VC, then OAuth, then unauthenticated),
 * {@code POST {base}/token} with a fresh DPoP proof and one retry on {@code use_dpop_nonce}, the
 * parse of the answer (its token bound to the proof's key), the DPoP proofs of later calls and the
 * newest DPoP-Nonce per origin.
 */
final class CapabilityMinter {
  private static final Logger LOG = LoggerFactory.getLogger(CapabilityStrategy.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_TOKEN_CHARS = 8192;
  private static final String TOKEN_CHARS = "[A-Za-z0-9._~+/=-]+";
  private static final int MAX_CHALLENGE_BODY = 64 * 1024;
  private static final String NONCE_CHARS = "[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,512}";

  private final CredentialService credentials;
  private final KeyDirectory keys;
  private final EgressClient egress;
  private final boolean loopbackAllowed;
  // origin (scheme://host:port) → the newest DPoP-Nonce it issued
  private final Map<String, String> nonces = new ConcurrentHashMap<>();
  // the kernel's payment step, when bound (optional, dynamic); read once per 402
  private volatile PaymentService payments;

  CapabilityMinter(
      CredentialService credentials,
      KeyDirectory keys,
      EgressClient egress,
      boolean loopbackAllowed) {
    this.credentials = credentials;
    this.keys = keys;
    this.egress = egress;
    this.loopbackAllowed = loopbackAllowed;
  }

  void payments(PaymentService service) {
    payments = service;
  }

  /** The newest DPoP-Nonce of an origin, or null. */
  String nonce(String origin) {
    return nonces.get(origin);
  }

  void clear() {
    nonces.clear();
  }

  /** The key-directory DPoP server (role {@code dpop:cap.<id>}) of a provider's own mints. */
  static String keyServer(String providerId) {
    return "cap." + providerId;
  }

  /** SPEC §8.5: VC, then OAuth (terminal errors), then unauthenticated. */
  Capability mint(ProviderStatus status, URI base, VcStep vc) throws CredentialException {
    String id = status.provider().id();
    URI tokenUrl = base.resolve("/token");
    Optional<Capability> viaVc = vc.mintWithVc(id, base, tokenUrl, this);
    if (viaVc.isPresent()) {
      return viaVc.get();
    }
    if (status.hasRefreshToken()) {
      return mintWithOAuth(id, base, tokenUrl);
    }
    return send(id, base, tokenUrl, MintedVia.UNAUTHENTICATED, null, null);
  }

  Capability mintWithOAuth(String id, URI base, URI tokenUrl) throws CredentialException {
    AccessCredential access = credentials.accessCredential(id, "POST", tokenUrl);
    String authorization = access.authorization().reveal();
    if (access.dpopProof() == null) {
      // an unbound access token: Bearer, and the capability binds to this bundle's own key
      return send(id, base, tokenUrl, MintedVia.OAUTH, authorization, null);
    }
    // a DPoP-bound access token needs a proof by its own key; the capability binds to that key
    if (!authorization.regionMatches(true, 0, "DPoP ", 0, 5)) {
      throw new CredentialException(
          CapabilityStrategy.CAPABILITY_MINT_FAILED, "the access credential is not a DPoP token");
    }
    Sensitive<String> accessToken = Sensitive.of(authorization.substring(5));
    return send(id, base, tokenUrl, MintedVia.OAUTH, authorization, accessToken);
  }

  /**
   * {@code POST {base}/token} with a fresh proof; one retry on {@code use_dpop_nonce}.
   *
   * @param authorization the Authorization header value of an OAuth mint, or null
   * @param boundAccessToken the DPoP-bound access token (proof by the OAuth key), or null
   */
  Capability send(
      String id,
      URI base,
      URI tokenUrl,
      MintedVia via,
      String authorization,
      Sensitive<String> boundAccessToken)
      throws CredentialException {
    EgressPolicy policy = ProviderUrls.policy(base, "/token", loopbackAllowed);
    String origin = ProviderUrls.origin(base);
    PaidRetry paid = null;
    // one use_dpop_nonce retry before the payment and one after it: a provider may answer the
    // unpaid mint 402 before it looks at the proof, so the paid mint can be the first to meet it
    boolean nonceRetried = false;
    // one refused reuse of an already-paid credential may be followed by a real payment
    boolean reuseRefused = false;
    while (true) {
      String nonce = nonces.get(origin);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Accept", "application/json");
      headers.put("Content-Type", "application/json");
      if (authorization != null) {
        headers.put("Authorization", authorization);
      }
      if (paid != null) {
        // the payment credential goes on this one mint and nowhere else
        headers.putAll(paid.retryHeaders().reveal());
      }
      String proof =
          boundAccessToken != null
              ? credentials.dpopProof(id, "POST", tokenUrl, boundAccessToken, nonce).reveal()
              : ownProof(id, "POST", tokenUrl, null, nonce);
      headers.put("DPoP", proof);
      EgressResponse res;
      try {
        res =
            egress.send(
                new EgressRequest(
                    "POST",
                    tokenUrl.toString(),
                    headers,
                    "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                policy);
      } catch (EgressException e) {
        // egress messages carry neither header values nor bodies
        throw new CredentialException(e.code(), "the mint request failed: " + e.getMessage());
      }
      boolean nonceIssued = keepNonce(tokenUrl, res.header("dpop-nonce"));
      boolean nonceRefused = res.status() == 400 && "use_dpop_nonce".equals(bodyError(res));
      if (nonceRefused && !nonceRetried && nonceIssued) {
        // the proof was refused before the payment was looked at (nothing settled): the same
        // payment credential goes once more, with the nonce
        nonceRetried = true;
        continue;
      }
      if (paid != null && paid.amountMicroUsd() == 0 && res.status() == 402 && !reuseRefused) {
        // a credential paid for earlier and presented again at no cost (an L402 token) that the
        // provider no longer honours (single-use tokens): the kernel records the refusal and the
        // rail drops it, and the 402's fresh challenge is paid below, once, in this same call
        reuseRefused = true;
        PaymentService service = payments;
        try {
          if (service != null) {
            service.settled(paid, res.status(), res.headers());
          }
        } catch (PaymentException refused) {
          LOG.info("provider {} refused a reused payment credential: {}", id, refused.code());
        }
        paid = null;
      } else if (paid != null) {
        // the paid retry: the provider's answer says whether the payment held
        settle(paid, res);
      }
      if (nonceRefused) {
        throw new CredentialException(
            CredentialException.DPOP_NONCE_REJECTED, "the provider refused the DPoP nonce");
      }
      if (res.status() == 402) {
        PaymentService service = payments;
        ToolInvocation call = ApprovedCall.invocation();
        if (service == null || call == null) {
          throw new CredentialException(
              CapabilityStrategy.PAYMENT_REQUIRED,
              "provider " + id + " asks for a payment to mint a capability");
        }
        // SPEC §8.5 then §14.5: the kernel gates and pays; the mint is sent once more with the
        // payment headers and a fresh DPoP proof
        try {
          paid = service.pay(call, origin, 402, res.headers(), challengeBody(res));
        } catch (PaymentException e) {
          if (PaymentService.PAYMENT_REQUIRED.equals(e.code())) {
            // no rail answers this 402 (e.g. a provider with no offer): nothing was paid, so the
            // mint failed as it does without payments, with its capability receipt
            throw new CredentialException(
                CapabilityStrategy.PAYMENT_REQUIRED,
                "provider " + id + " asks for a payment no rail can make");
          }
          throw e;
        }
        nonceRetried = false;
        LOG.info(
            "provider {} was paid {} µUSD via {} to mint", id, paid.amountMicroUsd(), paid.rail());
        continue;
      }
      if (res.status() != 200) {
        throw new CredentialException(
            CapabilityStrategy.CAPABILITY_MINT_FAILED,
            "provider " + id + " refused the mint (HTTP " + res.status() + ")");
      }
      Capability cap = parse(res, via, boundAccessToken != null, origin, proof);
      LOG.info("capability minted for provider {} via {}", id, via.label());
      return cap;
    }
  }

  /**
   * Reports the answer to the paid mint to the kernel; a provider that asks again (402) refused the
   * payment whatever the rail says.
   */
  private void settle(PaidRetry paid, EgressResponse res) throws PaymentException {
    PaymentService service = payments;
    if (service != null) {
      service.settled(paid, res.status(), res.headers());
    }
    if (res.status() == 402 || res.status() == 401) {
      throw new PaymentException(
          "payment_rejected", "the provider refused the payment (HTTP " + res.status() + ")");
    }
  }

  private static String challengeBody(EgressResponse res) {
    byte[] body = res.body();
    int n = Math.min(body.length, MAX_CHALLENGE_BODY);
    return new String(body, 0, n, StandardCharsets.UTF_8);
  }

  /** {@code POST {base}/token} with {@code x-vc-jwt}; one retry on {@code use_dpop_nonce}. */
  Capability sendVc(String id, URI base, URI tokenUrl, VcVault.Stored vc)
      throws CredentialException {
    EgressPolicy policy = ProviderUrls.policy(base, "/token", loopbackAllowed);
    String origin = ProviderUrls.origin(base);
    boolean oauthKey = vc.binding() == VcVault.Binding.OAUTH;
    for (int attempt = 1; ; attempt++) {
      String nonce = nonces.get(origin);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Accept", "application/json");
      headers.put("Content-Type", "application/json");
      headers.put("x-vc-jwt", vc.jwt().reveal());
      // the VC's cnf.jkt names the key of its issue proof; the mint proof comes from that key
      // (the OAuth key's proof carries an ath of the VC, which a mint without access token ignores)
      String proof =
          oauthKey
              ? credentials.dpopProof(id, "POST", tokenUrl, vc.jwt(), nonce).reveal()
              : ownProof(id, "POST", tokenUrl, null, nonce);
      headers.put("DPoP", proof);
      EgressResponse res;
      try {
        res =
            egress.send(
                new EgressRequest(
                    "POST", tokenUrl.toString(), headers, "{}".getBytes(StandardCharsets.UTF_8)),
                policy);
      } catch (EgressException e) {
        throw new CredentialException(e.code(), "the VC mint request failed: " + e.getMessage());
      }
      boolean nonceIssued = keepNonce(tokenUrl, res.header("dpop-nonce"));
      if (res.status() == 400 && "use_dpop_nonce".equals(bodyError(res))) {
        if (attempt == 1 && nonceIssued) {
          continue;
        }
        throw new CredentialException(
            CredentialException.DPOP_NONCE_REJECTED, "the provider refused the DPoP nonce");
      }
      if (res.status() != 200) {
        String error = bodyError(res);
        throw new CredentialException(
            error != null && error.matches("[a-z0-9_]{1,64}")
                ? error
                : CapabilityStrategy.CAPABILITY_MINT_FAILED,
            "provider " + id + " refused the VC mint (HTTP " + res.status() + ")");
      }
      Capability cap = parse(res, MintedVia.VC, oauthKey, origin, proof);
      LOG.info("capability minted for provider {} via vc", id);
      return cap;
    }
  }

  /**
   * The mint answer as a capability; its token must be bound ({@code cnf.jkt}) to the key of the
   * mint proof that was sent, else a hostile provider or a MITM on loopback http could hand out an
   * unbound token that would then be sent as DPoP-bound.
   */
  private Capability parse(
      EgressResponse res, MintedVia via, boolean oauthKey, String origin, String sentProof)
      throws CredentialException {
    JsonNode body;
    try {
      body = JSON.readTree(res.body());
    } catch (IOException e) {
      throw new CredentialException(
          CapabilityStrategy.CAPABILITY_MINT_FAILED, "the mint answer is not JSON");
    }
    if (body == null || !body.isObject()) {
      throw new CredentialException(
          CapabilityStrategy.CAPABILITY_MINT_FAILED, "the mint answer is not an object");
    }
    JsonNode token = body.get("token");
    JsonNode expires = body.get("expires_at_rfc3339");
    JsonNode maxCalls = body.get("max_calls");
    // the token goes into a header: only token68-like characters, never a line break
    if (token == null
        || !token.isTextual()
        || token.asText().length() > MAX_TOKEN_CHARS
        || !token.asText().matches(TOKEN_CHARS)) {
      throw new CredentialException(
          CapabilityStrategy.CAPABILITY_MINT_FAILED, "the mint answer has no usable token");
    }
    String proofJkt = MintBinding.proofJkt(sentProof);
    if (proofJkt == null || !proofJkt.equals(MintBinding.tokenJkt(token.asText()))) {
      throw new CredentialException(
          CapabilityStrategy.CAPABILITY_MINT_FAILED,
          "the minted token is not bound to the key of the mint proof");
    }
    Instant expiresAt;
    try {
      expiresAt = OffsetDateTime.parse(expires == null ? "" : expires.asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw new CredentialException(
          CapabilityStrategy.CAPABILITY_MINT_FAILED, "the mint answer has no expiry");
    }
    if (maxCalls == null || !maxCalls.canConvertToInt() || maxCalls.asInt() < 1) {
      throw new CredentialException(
          CapabilityStrategy.CAPABILITY_MINT_FAILED, "the mint answer has no max_calls");
    }
    return new Capability(
        Sensitive.of(token.asText()), expiresAt, maxCalls.asInt(), via, oauthKey, origin);
  }

  Sensitive<String> proof(String id, Capability cap, String method, URI htu)
      throws CredentialException {
    String nonce = nonces.get(ProviderUrls.origin(htu));
    if (cap.oauthKey) {
      return credentials.dpopProof(id, method, htu, cap.token, nonce);
    }
    return Sensitive.of(ownProof(id, method, htu, cap.token.reveal(), nonce));
  }

  String ownProof(String id, String method, URI htu, String token, String nonce)
      throws CredentialException {
    try {
      return keys.dpopProof(keyServer(id), KeyAlgorithm.P256, method, htu.toString(), token, nonce);
    } catch (KeyException e) {
      throw new CredentialException(e.code(), "cannot sign a DPoP proof");
    }
  }

  /** Keeps a usable nonce as the newest of its origin. */
  boolean keepNonce(URI url, String nonce) {
    if (nonce == null || !nonce.matches(NONCE_CHARS)) {
      return false;
    }
    nonces.put(ProviderUrls.origin(url), nonce);
    return true;
  }

  static String bodyError(EgressResponse res) {
    try {
      JsonNode body = JSON.readTree(res.body());
      JsonNode error = body == null ? null : body.get("error");
      return error != null && error.isTextual() ? error.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
