package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.store.StoreException;
import dev.briefcase.x402.Authorization;
import dev.briefcase.x402.Offer;
import dev.briefcase.x402.PaymentRequired;
import dev.briefcase.x402.PaymentSignature;
import dev.briefcase.x402.PaymentVerifier;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts a paid x402 v2 mint (SPEC §14.1, server side): a {@code PAYMENT-SIGNATURE} that is
 * standard base64 of a strict JSON payload whose {@code accepted} is the offer (deep-equal; its
 * {@code extra} may add members, never drop or change the offer's), whose EIP-3009 authorization
 * pays the offer's amount to its {@code payTo} and is valid now and for at least {@link
 * #MIN_VALIDITY} more, and whose nonce this provider has not seen; then the facilitator's {@code
 * /verify} and {@code /settle}. A settled authorization sent again by the key that paid gets its
 * receipt back ({@link SettledPayments}) instead of a second settlement. Every refusal is a fresh
 * 402 challenge naming a stable code; the signature is never logged nor echoed.
 */
final class X402Acceptor {
  /** Builds the acceptor for a challenge's offer. */
  @FunctionalInterface
  interface Factory {
    X402Acceptor create(PaymentChallenge challenge);
  }

  /** The least validity left on an authorization: time to verify, settle and mine it. */
  static final Duration MIN_VALIDITY = Duration.ofSeconds(6);

  /** The largest {@code PAYMENT-SIGNATURE} read (as the rails' challenge bound). */
  static final int MAX_SIGNATURE_CHARS = 64 * 1024;

  /** The most nonces remembered at once (each until its authorization expires). */
  static final int MAX_REMEMBERED_NONCES = 100_000;

  static final String INVALID = "payment_invalid";
  static final String TERMS_MISMATCH = "payment_terms_mismatch";
  static final String NOT_YET_VALID = "payment_not_yet_valid";
  static final String EXPIRED = "payment_expired";
  static final String REPLAY = "replay_detected";
  static final String VERIFY_FAILED = "payment_verification_failed";
  static final String SETTLE_FAILED = "payment_settlement_failed";
  static final String UNAVAILABLE = "payment_facilitator_unavailable";
  static final String BUSY = "payment_capacity_exhausted";
  static final String STORE_UNAVAILABLE = "store_unavailable";

  private static final Logger LOG = LoggerFactory.getLogger(X402Acceptor.class);
  private static final String NONCE_USED = "nonce_already_used";

  /**
   * A payload that passed the local checks; its nonce is held until released, and for good once the
   * payment went to settlement or the facilitator saw the nonce used.
   */
  static final class Checked {
    private final ObjectNode payload;
    private final String from;
    private final String nonceKey;
    private final String authorizer;
    private final String nonce;
    private final String signatureSha256;
    private final Instant validBefore;
    private final SettledPayments.Receipt prior;
    private volatile boolean kept;

    Checked(
        ObjectNode payload,
        String from,
        String nonceKey,
        String authorizer,
        String nonce,
        String signatureSha256,
        Instant validBefore,
        SettledPayments.Receipt prior) {
      this.payload = payload;
      this.from = from;
      this.nonceKey = nonceKey;
      this.authorizer = authorizer;
      this.nonce = nonce;
      this.signatureSha256 = signatureSha256;
      this.validBefore = validBefore;
      this.prior = prior;
      // a settled authorization holds no nonce of its own: releasing it must not free the nonce
      this.kept = prior != null;
    }

    /** The receipt when this exact authorization was settled here before; else null. */
    SettledPayments.Receipt prior() {
      return prior;
    }

    ObjectNode payload() {
      return payload;
    }

    String from() {
      return from;
    }
  }

  /** A settled payment: the {@code PAYMENT-RESPONSE} facts. */
  record Settled(String payer, String transaction, String network) {
    /**
     * {@code PAYMENT-RESPONSE}: standard base64 of {@code {success, payer, transaction, network}}.
     */
    String header() {
      ObjectNode r =
          Json.newObject()
              .put("success", true)
              .put("payer", payer)
              .put("transaction", transaction)
              .put("network", network);
      return Base64.getEncoder().encodeToString(Json.bytes(r));
    }
  }

  private final PaymentChallenge challenge;
  private final Facilitator facilitator;
  private final Clock clock;
  // null: settled authorizations are not remembered, a re-sent one is a replay
  private final SettledPayments settledPayments;
  // payer|nonce -> the authorization's validBefore: a nonce seen here is never sent twice to the
  // facilitator, also while a first settlement is still in flight
  private final Map<String, Instant> seen = new ConcurrentHashMap<>();
  private volatile List<Offer> offers;

  X402Acceptor(
      PaymentChallenge challenge,
      Facilitator facilitator,
      Clock clock,
      SettledPayments settledPayments) {
    this.challenge = challenge;
    this.facilitator = facilitator;
    this.clock = clock;
    this.settledPayments = settledPayments;
  }

  /** A factory for {@link PaymentChallenge} that remembers no settlement (no re-issue). */
  static Factory factory(Facilitator facilitator, Clock clock) {
    return factory(facilitator, clock, null);
  }

  /**
   * A factory for {@link PaymentChallenge}; {@code settled} (or null) records settled
   * authorizations so that a re-sent one gets its capability again.
   */
  static Factory factory(Facilitator facilitator, Clock clock, SettledPayments settled) {
    return c -> new X402Acceptor(c, facilitator, clock, settled);
  }

  /**
   * The local checks of {@code header} (the {@code PAYMENT-SIGNATURE} value) in order: encoding and
   * shape ({@value #INVALID}), terms ({@value #TERMS_MISMATCH}), validity window ({@value
   * #NOT_YET_VALID}, {@value #EXPIRED}), a nonce seen before ({@value #REPLAY}). Holds the nonce.
   */
  Checked check(String header, String resourceUrl, String description) {
    if (header.length() > MAX_SIGNATURE_CHARS || !standardBase64(header)) {
      throw refuse(INVALID, resourceUrl, description, "PAYMENT-SIGNATURE is not standard base64");
    }
    PaymentSignature payment;
    ObjectNode payload;
    try {
      payment = PaymentSignature.parse(header);
      payload = Json.object(Base64.getDecoder().decode(header));
    } catch (PaymentException | ProviderError | IllegalArgumentException e) {
      throw refuse(INVALID, resourceUrl, description, "not an x402 v2 EIP-3009 payload");
    }
    Authorization auth = payment.authorization();
    // this provider's own codes first (terms, then the window), then bundles/x402 checks them
    // all again with the signer: a forged signature never reaches the facilitator
    ObjectNode offer = challenge.offerJson();
    if (!sameTerms(payment.accepted(), offer)
        || !auth.to().equalsIgnoreCase(offer.get("payTo").asText())
        || !auth.value().equals(new BigInteger(offer.get("amount").asText()))) {
      throw refuse(TERMS_MISMATCH, resourceUrl, description, "accepted is not the offer");
    }
    String authorizer = auth.from().toLowerCase(Locale.ROOT);
    String nonce = auth.nonce().toLowerCase(Locale.ROOT);
    String signatureSha256 = sha256Hex(payment.signature().toLowerCase(Locale.ROOT));
    Instant validBefore = instant(auth.validBefore());
    if (settledPayments != null) {
      // a settled authorization sent again (its answer was lost): the same signature gets the
      // receipt, before the window checks (it may have expired since); any other is a replay
      SettledPayments.Receipt prior;
      try {
        prior = settledPayments.find(authorizer, nonce).orElse(null);
      } catch (StoreException e) {
        // unknown whether it was settled here: nothing goes to the facilitator
        throw new ProviderError(503, STORE_UNAVAILABLE, "settled payments unreadable");
      }
      if (prior != null) {
        if (!MessageDigest.isEqual(
            prior.signatureSha256().getBytes(StandardCharsets.US_ASCII),
            signatureSha256.getBytes(StandardCharsets.US_ASCII))) {
          throw refuse(REPLAY, resourceUrl, description, "another signature of a settled nonce");
        }
        return new Checked(
            payload,
            auth.from(),
            authorizer + "|" + nonce,
            authorizer,
            nonce,
            signatureSha256,
            validBefore,
            prior);
      }
    }
    Instant nowInstant = clock.instant();
    BigInteger now = BigInteger.valueOf(nowInstant.getEpochSecond());
    if (auth.validAfter().compareTo(now) > 0) {
      throw refuse(NOT_YET_VALID, resourceUrl, description, "validAfter is in the future");
    }
    if (auth.validBefore().compareTo(now.add(BigInteger.valueOf(MIN_VALIDITY.toSeconds()))) < 0) {
      throw refuse(EXPIRED, resourceUrl, description, "validBefore is too close or past");
    }
    try {
      PaymentVerifier.verify(payment, offers(), nowInstant);
    } catch (PaymentException e) {
      String code = e.code().equals(PaymentVerifier.TERMS_MISMATCH) ? TERMS_MISMATCH : INVALID;
      throw refuse(code, resourceUrl, description, "x402: " + e.getMessage());
    }
    String from = auth.from();
    String key = authorizer + "|" + nonce;
    remember(key, validBefore, resourceUrl, description);
    return new Checked(payload, from, key, authorizer, nonce, signatureSha256, validBefore, null);
  }

  /**
   * Records a settled payment and the token it buys, before that token is signed: an answer lost
   * after this point (a failed signing, a dropped connection) is recovered by sending the same
   * authorization again. A store that refuses the write costs only that recovery: the payment is
   * settled, so the token is still given (WARN).
   *
   * @param jkt the paid mint's key thumbprint, null for an unbound token (never re-issued)
   */
  void record(Checked checked, String jkt, Settled settled, CapabilityTokens.Planned token) {
    if (settledPayments == null) {
      return;
    }
    try {
      settledPayments.record(
          new SettledPayments.Receipt(
              checked.authorizer,
              checked.nonce,
              checked.signatureSha256,
              jkt == null ? "" : jkt,
              settled,
              token),
          checked.validBefore);
    } catch (RuntimeException e) {
      LOG.warn(
          "settled x402 payment not recorded, a re-sent one will be refused: {}",
          e.getClass().getSimpleName());
    }
  }

  /**
   * The receipt of a re-sent settled authorization, for the paid mint's key {@code jkt}: only the
   * key that minted the paid token may have it again (anyone who merely saw the header gets {@value
   * #REPLAY}), and only while that token is valid (after it nothing is left to serve).
   */
  SettledPayments.Receipt reissue(
      Checked checked, String jkt, String resourceUrl, String description) {
    SettledPayments.Receipt prior = checked.prior();
    if (jkt == null || prior.jkt().isEmpty() || !prior.jkt().equals(jkt)) {
      throw refuse(REPLAY, resourceUrl, description, "a settled nonce from another key");
    }
    if (!clock.instant().isBefore(prior.token().expiresAt())) {
      throw refuse(REPLAY, resourceUrl, description, "the token of a settled nonce expired");
    }
    return prior;
  }

  private static Instant instant(BigInteger epochSeconds) {
    return epochSeconds.bitLength() < 63
        ? Instant.ofEpochSecond(Math.min(epochSeconds.longValue(), Instant.MAX.getEpochSecond()))
        : Instant.MAX;
  }

  private static String sha256Hex(String s) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
  }

  /** The offer as bundles/x402 reads it (parsed from this provider's own challenge). */
  private List<Offer> offers() {
    List<Offer> parsed = offers;
    if (parsed == null) {
      ObjectNode required = Json.newObject().put("x402Version", 2);
      required.putArray("accepts").add(challenge.offerJson());
      try {
        parsed =
            PaymentRequired.parse(Base64.getEncoder().encodeToString(Json.bytes(required)))
                .accepts();
      } catch (PaymentException e) {
        // a configured offer no client could pay: nothing is accepted
        throw new ProviderError(503, UNAVAILABLE, "the configured x402 offer is invalid");
      }
      offers = parsed;
    }
    return parsed;
  }

  /** Forgets the nonce of a payment that was never sent for settlement; else nothing. */
  void release(Checked checked) {
    if (!checked.kept) {
      seen.remove(checked.nonceKey);
    }
  }

  /**
   * The facilitator's {@code /verify}, then {@code /settle}: the settled facts, or a 402 ({@value
   * #VERIFY_FAILED}, {@value #REPLAY}, {@value #SETTLE_FAILED} with a {@code PAYMENT-RESPONSE} of
   * {@code success: false}), or 502 {@value #UNAVAILABLE}. A payment refused before settlement
   * releases its nonce; one sent for settlement keeps it.
   */
  Settled settle(Checked checked, String resourceUrl, String description) {
    ObjectNode request = Json.newObject().put("x402Version", 2);
    request.set("paymentPayload", checked.payload());
    request.set("paymentRequirements", challenge.offerJson());
    JsonNode verified;
    try {
      verified = facilitator.post("/verify", request);
    } catch (IOException e) {
      release(checked);
      throw unavailable("/verify", e);
    } catch (InterruptedException e) {
      release(checked);
      Thread.currentThread().interrupt();
      throw unavailable("/verify", e);
    }
    JsonNode valid = verified.get("isValid");
    if (valid == null || !valid.isBoolean() || !valid.booleanValue()) {
      String reason = verified.path("invalidReason").asText("");
      if (reason.contains(NONCE_USED)) {
        checked.kept = true;
        throw refuse(REPLAY, resourceUrl, description, "the facilitator saw the nonce used");
      }
      release(checked);
      throw refuse(VERIFY_FAILED, resourceUrl, description, "facilitator: " + reasonCode(reason));
    }
    // from here the authorization may be on chain: its nonce is never sent again
    checked.kept = true;
    JsonNode settled;
    try {
      settled = facilitator.post("/settle", request);
    } catch (IOException e) {
      throw unavailable("/settle", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("/settle", e);
    }
    String network = challenge.offer().network();
    JsonNode success = settled.get("success");
    String transaction = settled.path("transaction").asText("");
    if (success == null || !success.isBoolean() || !success.booleanValue()) {
      String reason = settled.path("errorReason").asText("");
      ObjectNode failed =
          Json.newObject()
              .put("success", false)
              .put("errorReason", reasonCode(reason))
              .put("payer", checked.from())
              .put("transaction", "")
              .put("network", network);
      throw refuse(
              reason.contains(NONCE_USED) ? REPLAY : SETTLE_FAILED,
              resourceUrl,
              description,
              "facilitator settlement failed: " + reasonCode(reason))
          .header("PAYMENT-RESPONSE", Base64.getEncoder().encodeToString(Json.bytes(failed)));
    }
    return new Settled(checked.from(), transaction, network);
  }

  /** The accepted offer is the offer; only {@code extra} may hold more members than the offer's. */
  static boolean sameTerms(ObjectNode accepted, ObjectNode offer) {
    if (accepted.size() != offer.size()) {
      return false;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = offer.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode given = accepted.get(f.getKey());
      if (given == null) {
        return false;
      }
      if (f.getKey().equals("extra")) {
        if (!(given instanceof ObjectNode extra)) {
          return false;
        }
        Iterator<Map.Entry<String, JsonNode>> wanted = f.getValue().fields();
        while (wanted.hasNext()) {
          Map.Entry<String, JsonNode> w = wanted.next();
          if (!w.getValue().equals(extra.get(w.getKey()))) {
            return false;
          }
        }
      } else if (!f.getValue().equals(given)) {
        return false;
      }
    }
    return true;
  }

  private void remember(String key, Instant expires, String resourceUrl, String description) {
    if (seen.size() >= MAX_REMEMBERED_NONCES) {
      Instant now = clock.instant();
      seen.values().removeIf(until -> until.isBefore(now));
      if (seen.size() >= MAX_REMEMBERED_NONCES) {
        // forgetting a live nonce would let it be sent again: refuse new payments instead
        throw new ProviderError(503, BUSY, "too many live payment nonces")
            .header("Retry-After", "60");
      }
    }
    if (seen.putIfAbsent(key, expires) != null) {
      throw refuse(REPLAY, resourceUrl, description, "nonce already presented");
    }
  }

  private ProviderError refuse(String code, String resourceUrl, String description, String why) {
    ProviderError e = challenge.challenge(resourceUrl, description, code);
    LOG.debug("paid mint refused: {} ({})", code, why);
    return e;
  }

  private static ProviderError unavailable(String path, Exception e) {
    // the class only: a message could quote the request
    LOG.warn("x402 facilitator {} failed: {}", path, e.getClass().getSimpleName());
    return new ProviderError(502, UNAVAILABLE, "facilitator unreachable");
  }

  /** A facilitator reason reduced to a short code (it is echoed and logged). */
  private static String reasonCode(String reason) {
    String r = reason.length() > 80 ? reason.substring(0, 80) : reason;
    return r.replaceAll("[^A-Za-z0-9_]", "_");
  }

  /**
   * Padded standard base64 only: the URL-safe alphabet ({@code -}, {@code _}) or missing padding is
   * refused, as the reference server ignores it. A loop, not a regex: no stack depth on long input.
   */
  static boolean standardBase64(String s) {
    int n = s.length();
    if (n == 0 || n % 4 != 0) {
      return false;
    }
    int pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
    for (int i = 0; i < n - pad; i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '+'
              || c == '/';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
