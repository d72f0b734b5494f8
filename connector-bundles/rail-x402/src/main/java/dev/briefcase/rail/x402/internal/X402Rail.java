package dev.briefcase.rail.x402.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payhelper.client.PaymentHelperClient;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import dev.briefcase.payment.PaymentRail;
import dev.briefcase.payment.PaymentSettlement;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.x402.OfferPolicy;
import dev.briefcase.x402.PaymentRequired;
import dev.briefcase.x402.PaymentResponse;
import dev.briefcase.x402.PaymentSignature;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The x402 v2 rail (SPEC §14.1, PAYMENTS.md): quotes a {@code PAYMENT-REQUIRED} challenge under its
 * offer policy, has the payment helper sign the chosen offer and checks that what it signed pays
 * exactly that offer, and checks the provider's {@code PAYMENT-RESPONSE}. Holds no key; keeps no
 * state between calls (the proof carries what {@link #settled} needs).
 */
@Component(
    configurationPid = X402Rail.PID,
    service = PaymentRail.class,
    property = PaymentRail.SCHEME + "=" + X402Rail.SCHEME)
@Designate(ocd = X402Rail.Config.class)
public final class X402Rail implements PaymentRail {
  static final String PID = "dev.briefcase.rail.x402";
  static final String SCHEME = "x402";
  static final String HEADER = "PAYMENT-SIGNATURE";
  static final String REJECTED = "payment_rejected";
  static final String INVALID_CHALLENGE = PaymentRequired.INVALID;

  static final String USDC_BASE = "eip155:8453/0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913:6";
  static final String USDC_BASE_SEPOLIA =
      "eip155:84532/0x036CbD53842c5426634e7929541eC2318e3dCF7e:6";

  /** Configuration (PAYMENTS.md §5); property names are the method names with one underscore. */
  @ObjectClassDefinition(name = "Briefcase x402 rail")
  public @interface Config {
    @AttributeDefinition(
        description =
            "The payment helper: program and arguments; empty -> payment_helper_unavailable")
    String[] helper__command() default {};

    @AttributeDefinition(description = "The helper is killed after this many milliseconds")
    long helper__timeout__ms() default 30_000;

    @AttributeDefinition(description = "Networks an offer may use (CAIP-2, e.g. eip155:8453)")
    String[] networks() default {"eip155:8453", "eip155:84532"};

    @AttributeDefinition(description = "Assets an offer may use: <network>/<address>:<decimals>")
    String[] assets() default {USDC_BASE, USDC_BASE_SEPOLIA};

    @AttributeDefinition(description = "The most one payment may cost, in micro-USD")
    long max__amount__microusd() default 1_000_000;
  }

  private final OfferPolicy policy;
  private final PaymentHelperClient helper;
  private final SignedOffer signedOffer;

  @Activate
  public X402Rail(Config config) {
    this(
        new OfferPolicy(
            List.of(config.networks()), List.of(config.assets()), config.max__amount__microusd()),
        new PaymentHelperClient(
            List.of(config.helper__command()),
            Duration.ofMillis(Math.max(1, config.helper__timeout__ms()))),
        Clock.systemUTC());
  }

  X402Rail(OfferPolicy policy, PaymentHelperClient helper, Clock clock) {
    this.policy = policy;
    this.helper = helper;
    this.signedOffer = new SignedOffer(clock);
  }

  @Override
  public PaymentQuote quote(PaymentChallenge challenge) throws PaymentException {
    if (challenge.header("payment-required").isEmpty() || !offersAnything(challenge)) {
      return null;
    }
    OfferPolicy.Selection s = select(challenge);
    return new PaymentQuote(s.microUsd(), description(s), facts(s));
  }

  @Override
  public PaymentProof pay(PaymentChallenge challenge, PaymentQuote quote) throws PaymentException {
    OfferPolicy.Selection s = select(challenge);
    if (s.microUsd() != quote.amountMicroUsd() || !facts(s).equals(quote.facts())) {
      // the kernel gated that quote; anything else would pay an ungated amount
      throw new PaymentException(INVALID_CHALLENGE, "the challenge no longer matches its quote");
    }
    ObjectNode request = JsonNodeFactory.instance.objectNode();
    request.put("rail", "x402_v2");
    request.put("provider_base_url", challenge.providerBaseUrl());
    request.put("payment_required", s.required().headerValue());
    request.set("accepted", s.offer().node());
    request.put("max_amount", s.offer().amount().toString());
    request.put("idempotency_key", challenge.idempotencyKey());
    JsonNode answer = helper.call(request, "payment_signature_b64");
    PaymentSignature signed = signedOffer.verify(answer, s.offer());
    String header = answer.get("payment_signature_b64").textValue();
    return new PaymentProof(
        Sensitive.of(Map.of(HEADER, header)), s.microUsd(), signed.authorization().nonce());
  }

  @Override
  public PaymentSettlement settled(
      PaymentChallenge challenge, PaymentProof proof, int status, Map<String, List<String>> headers)
      throws PaymentException {
    List<String> responses = headers.getOrDefault("payment-response", List.of());
    if (status == 401 || status == 402) {
      throw new PaymentException(
          REJECTED,
          "the provider refused the payment (" + status + "): " + reason(responses, headers));
    }
    if (status < 200 || status > 299) {
      throw new PaymentException(
          PaymentResponse.INVALID, "the provider answered " + status + " to the paid retry");
    }
    if (responses.size() != 1) {
      throw new PaymentException(
          PaymentResponse.INVALID, "the paid retry's answer needs exactly one PAYMENT-RESPONSE");
    }
    PaymentSignature paid = paid(proof);
    String network = paid.accepted().get("network").asText();
    String tx = PaymentResponse.parse(responses.get(0)).check(paid.authorization().from(), network);
    return new PaymentSettlement(tx, paid.authorization().from());
  }

  /**
   * Whether any PAYMENT-REQUIRED value carries an offer: a challenge whose {@code accepts} are all
   * empty (a provider with no x402 offer configured) is one this rail cannot answer, so another
   * rail may, or the call ends as {@code payment_required}.
   */
  private static boolean offersAnything(PaymentChallenge challenge) throws PaymentException {
    for (String value : challenge.header("payment-required")) {
      if (!PaymentRequired.parse(value).accepts().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private OfferPolicy.Selection select(PaymentChallenge challenge) throws PaymentException {
    List<PaymentRequired> parsed = new ArrayList<>();
    for (String value : challenge.header("payment-required")) {
      parsed.add(PaymentRequired.parse(value));
    }
    return policy.select(parsed, challenge.maxAmountMicroUsd());
  }

  private static String description(OfferPolicy.Selection s) {
    return s.offer().amount() + " " + s.offer().asset() + " on " + s.offer().network();
  }

  private static Map<String, String> facts(OfferPolicy.Selection s) {
    return Map.of(
        "asset", s.offer().asset(),
        "network", s.offer().network(),
        "amount_atomic", s.offer().amount().toString(),
        "pay_to", s.offer().payTo());
  }

  /**
   * The provider's reason for a refusal: its PAYMENT-RESPONSE, else its fresh challenge's error.
   */
  private static String reason(List<String> responses, Map<String, List<String>> headers) {
    try {
      if (!responses.isEmpty()) {
        return PaymentResponse.parse(responses.get(0)).reason();
      }
      List<String> challenges = headers.getOrDefault("payment-required", List.of());
      if (!challenges.isEmpty()) {
        return PaymentResponse.safeReason(PaymentRequired.parse(challenges.get(0)).error());
      }
    } catch (PaymentException e) {
      return "unreadable";
    }
    return "unspecified";
  }

  /** The payment the proof carries (this rail built it, so it parses). */
  private static PaymentSignature paid(PaymentProof proof) throws PaymentException {
    String header = proof.retryHeaders().reveal().get(HEADER);
    if (header == null) {
      throw new PaymentException(PaymentResponse.INVALID, "the proof is not an x402 payment");
    }
    return PaymentSignature.parse(header);
  }
}
