package dev.briefcase.rail.l402.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.l402.Bolt11;
import dev.briefcase.l402.L402Authorization;
import dev.briefcase.l402.L402Challenge;
import dev.briefcase.l402.L402Exception;
import dev.briefcase.l402.L402Identifier;
import dev.briefcase.l402.Macaroon;
import dev.briefcase.l402.Preimage;
import dev.briefcase.payhelper.client.PaymentHelperClient;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import dev.briefcase.payment.PaymentSettlement;
import dev.briefcase.secrets.Sensitive;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The L402 rail without its OSGi shell: quote from the challenge's BOLT11 invoice, pay through the
 * payment helper, and keep each provider's paid token for reuse (bLIP-0026) until the provider
 * refuses it. Thread-safe; the token cache lives as long as this object.
 */
public final class L402Payments {
  /** µUSD = msat × usd_per_btc / 100000 (SPEC §14.5): 10^11 msat per BTC and 10^6 µUSD per USD. */
  private static final long RATE_DIVISOR = 100_000L;

  private final PaymentHelperClient helper;
  private final Set<String> networks;
  private final long maxAmountMsat;
  private final long usdPerBtc;
  private final Clock clock;
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();

  /** A paid credential: the Authorization value (secret) and its public payment hash. */
  private record Token(Sensitive<String> authorization, String paymentHash, String network) {}

  /** The challenge this rail answers, decoded and checked. */
  private record Offer(L402Challenge challenge, Bolt11 invoice, long amountMsat, long microUsd) {}

  public L402Payments(
      PaymentHelperClient helper,
      Set<String> networks,
      long maxAmountMsat,
      long usdPerBtc,
      Clock clock) {
    if (maxAmountMsat < 0 || usdPerBtc <= 0) {
      throw new IllegalArgumentException("max_amount_msat >= 0 and usd_per_btc > 0 required");
    }
    this.helper = helper;
    this.networks = Set.copyOf(networks);
    this.maxAmountMsat = maxAmountMsat;
    this.usdPerBtc = usdPerBtc;
    this.clock = clock;
  }

  public PaymentQuote quote(PaymentChallenge challenge) throws PaymentException {
    Offer offer = offer(challenge, true);
    if (offer == null) {
      return null;
    }
    Token token = tokens.get(challenge.providerBaseUrl());
    if (token != null) {
      // the provider's earlier token is still ours: presenting it again costs nothing
      return new PaymentQuote(
          0,
          "0 msat (paid L402 token reused)",
          Map.of(
              "amount_msat",
              "0",
              "payment_hash",
              token.paymentHash(),
              "network",
              token.network(),
              "token_reused",
              "true"));
    }
    return new PaymentQuote(
        offer.microUsd(),
        offer.amountMsat() + " msat",
        Map.of(
            "amount_msat", Long.toString(offer.amountMsat()),
            "payment_hash", offer.invoice().paymentHashHex(),
            "network", offer.invoice().network()));
  }

  public PaymentProof pay(PaymentChallenge challenge, PaymentQuote quote) throws PaymentException {
    Token token = tokens.get(challenge.providerBaseUrl());
    boolean ours = token != null && token.paymentHash().equals(quote.facts().get("payment_hash"));
    boolean reuse = ours && "true".equals(quote.facts().get("token_reused"));
    // the kernel's pay challenge carries the quoted amount as its limit: 0 for a reused token,
    // which pays nothing, so the new invoice's price is not held against it
    Offer offer = offer(challenge, !reuse);
    if (offer == null) {
      throw new PaymentException("payment_challenge_invalid", "the challenge has no L402 offer");
    }
    if (ours) {
      // a reuse quote costs nothing; a retried pay of the quote that bought the token reports
      // what that payment cost, as the helper's journal would
      return new PaymentProof(
          Sensitive.of(Map.of("Authorization", token.authorization().reveal())),
          reuse ? 0 : quote.amountMicroUsd(),
          token.paymentHash());
    }
    String paymentHash = offer.invoice().paymentHashHex();
    if (!paymentHash.equals(quote.facts().get("payment_hash"))
        || quote.amountMicroUsd() != offer.microUsd()) {
      throw new PaymentException(
          "payment_challenge_invalid", "the quote does not belong to this challenge");
    }
    ObjectNode request = JsonNodeFactory.instance.objectNode();
    request.put("rail", "l402");
    request.put("provider_base_url", challenge.providerBaseUrl());
    request.put("invoice", offer.challenge().invoice());
    request.put("macaroon", offer.challenge().macaroon());
    request.put("amount_microusd", offer.microUsd());
    request.put("max_amount_msat", Long.toString(offer.amountMsat()));
    request.put("idempotency_key", challenge.idempotencyKey());
    JsonNode answer = helper.call(request, "preimage");
    String preimage = answer.get("preimage").asText();
    JsonNode answeredHash = answer.get("payment_hash");
    if (!Preimage.matches(preimage, offer.invoice().paymentHash())
        || answeredHash != null && !paymentHash.equalsIgnoreCase(answeredHash.asText(""))) {
      throw new PaymentException(
          "payment_preimage_mismatch", "the helper's preimage does not hash to the payment hash");
    }
    String authorization =
        new L402Authorization(
                offer.challenge().scheme(),
                offer.challenge().macaroon(),
                preimage.toLowerCase(Locale.ROOT))
            .format();
    tokens.put(
        challenge.providerBaseUrl(),
        new Token(Sensitive.of(authorization), paymentHash, offer.invoice().network()));
    return new PaymentProof(
        Sensitive.of(Map.of("Authorization", authorization)), offer.microUsd(), paymentHash);
  }

  public PaymentSettlement settled(
      PaymentChallenge challenge, PaymentProof proof, int status, Map<String, List<String>> headers)
      throws PaymentException {
    if (status >= 200 && status < 300) {
      return new PaymentSettlement(proof.reference(), null);
    }
    if (status == 401 || status == 402) {
      // a refused token is never presented again
      tokens.computeIfPresent(
          challenge.providerBaseUrl(),
          (url, t) -> t.paymentHash().equals(proof.reference()) ? null : t);
      throw new PaymentException(
          "payment_rejected", "the provider refused the L402 credential (HTTP " + status + ")");
    }
    throw new PaymentException(
        "payment_response_invalid", "the provider answered the paid retry with HTTP " + status);
  }

  private Offer offer(PaymentChallenge challenge, boolean withinCallLimit) throws PaymentException {
    List<L402Challenge> found;
    try {
      found = L402Challenge.scan(challenge.header("www-authenticate"));
    } catch (L402Exception e) {
      throw new PaymentException("payment_challenge_invalid", "malformed L402 challenge");
    }
    if (found.isEmpty()) {
      return null;
    }
    // the current scheme name first; LSAT only when the provider offers nothing else
    L402Challenge chosen =
        found.stream().filter(c -> c.scheme().equals("L402")).findFirst().orElse(found.get(0));
    Bolt11 invoice;
    try {
      invoice = Bolt11.decode(chosen.invoice());
    } catch (L402Exception e) {
      throw new PaymentException(
          e.code().equals("invoice_network")
              ? "payment_invoice_network"
              : "payment_invoice_invalid",
          "the L402 invoice is not a valid BOLT11 invoice (" + e.code() + ")");
    }
    try {
      L402Identifier id =
          L402Identifier.parse(Macaroon.parseBase64(chosen.macaroon()).identifier());
      if (!id.paymentHashHex().equals(invoice.paymentHashHex())) {
        throw new PaymentException(
            "payment_challenge_invalid", "the macaroon is not bound to the invoice's payment hash");
      }
    } catch (L402Exception e) {
      throw new PaymentException(
          "payment_challenge_invalid", "the L402 macaroon is malformed (" + e.code() + ")");
    }
    if (!networks.contains(invoice.network())) {
      throw new PaymentException(
          "payment_invoice_network", "invoice network " + invoice.network() + " is not allowed");
    }
    if (invoice.expired(clock.instant())) {
      throw new PaymentException("payment_invoice_expired", "the L402 invoice has expired");
    }
    Long msat = invoice.amountMsat();
    if (msat == null || msat <= 0) {
      throw new PaymentException("payment_invoice_invalid", "the L402 invoice names no amount");
    }
    if (msat > maxAmountMsat) {
      throw new PaymentException(
          "payment_amount_too_high",
          msat + " msat is above the rail's limit of " + maxAmountMsat + " msat");
    }
    long microUsd;
    try {
      microUsd =
          Math.floorDiv(
              Math.addExact(Math.multiplyExact(msat, usdPerBtc), RATE_DIVISOR - 1), RATE_DIVISOR);
    } catch (ArithmeticException e) {
      throw new PaymentException("payment_amount_too_high", "the amount overflows");
    }
    if (withinCallLimit && microUsd > challenge.maxAmountMicroUsd()) {
      throw new PaymentException(
          "payment_amount_too_high",
          microUsd + " µUSD is above the call's limit of " + challenge.maxAmountMicroUsd());
    }
    return new Offer(chosen, invoice, msat, microUsd);
  }
}
