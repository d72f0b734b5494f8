package dev.briefcase.rail.l402.internal;

import dev.briefcase.payhelper.client.PaymentHelperClient;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import dev.briefcase.payment.PaymentRail;
import dev.briefcase.payment.PaymentSettlement;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The L402 payment rail ({@code rail.scheme=l402}). A configuration change re-creates the
 * component, which also forgets the paid tokens it kept.
 */
@Component(
    service = PaymentRail.class,
    configurationPid = L402Rail.PID,
    configurationPolicy = ConfigurationPolicy.OPTIONAL,
    property = PaymentRail.SCHEME + "=l402")
@Designate(ocd = L402Rail.Config.class)
public final class L402Rail implements PaymentRail {
  static final String PID = "dev.briefcase.rail.l402";
  private static final Set<String> KNOWN_NETWORKS = Set.of("bc", "tb", "bcrt", "tbs");
  private static final Logger LOG = LoggerFactory.getLogger(L402Rail.class);

  /**
   * Configuration; DS maps a double underscore in a method name to one underscore in the property
   * name, so {@code helper__command()} reads {@code helper_command}.
   */
  @ObjectClassDefinition(
      name = "Briefcase L402 payment rail",
      description = "Pays L402 challenges (BOLT11 invoices) through the payment helper (SPEC §14).")
  public @interface Config {
    @AttributeDefinition(
        name = "Helper command",
        description =
            "The payment helper program and its arguments (bin/briefcase-pay); empty: payments"
                + " fail with payment_helper_unavailable.")
    String[] helper__command() default {};

    @AttributeDefinition(
        name = "Helper timeout",
        description = "Milliseconds one helper request may take before it is killed.")
    long helper__timeout__ms() default 30_000;

    @AttributeDefinition(
        name = "USD per BTC",
        description =
            "The configured exchange rate: µUSD = msat × usd_per_btc / 100000, rounded up.")
    long usd__per__btc() default 100_000;

    @AttributeDefinition(
        name = "Maximum amount",
        description = "The largest invoice this rail quotes, in millisatoshi.")
    long max__amount__msat() default 10_000_000;

    @AttributeDefinition(
        name = "Networks",
        description = "Invoice networks this rail pays: bc, tb, bcrt, tbs.")
    String[] networks() default {"bc"};
  }

  private final L402Payments payments;

  @Activate
  public L402Rail(Config config) {
    this(config, Clock.systemUTC());
  }

  L402Rail(Config config, Clock clock) {
    List<String> networks =
        config.networks() == null ? List.of() : Arrays.asList(config.networks());
    for (String n : networks) {
      if (!KNOWN_NETWORKS.contains(n)) {
        throw new IllegalArgumentException("unknown L402 network " + n);
      }
    }
    List<String> command =
        config.helper__command() == null ? List.of() : Arrays.asList(config.helper__command());
    PaymentHelperClient helper =
        new PaymentHelperClient(command, Duration.ofMillis(config.helper__timeout__ms()));
    this.payments =
        new L402Payments(
            helper,
            Set.copyOf(networks),
            config.max__amount__msat(),
            config.usd__per__btc(),
            clock);
    LOG.info(
        "L402 rail active: networks {}, max {} msat, helper {}",
        networks,
        config.max__amount__msat(),
        helper.configured() ? "configured" : "not configured");
  }

  @Override
  public PaymentQuote quote(PaymentChallenge challenge) throws PaymentException {
    return payments.quote(challenge);
  }

  @Override
  public PaymentProof pay(PaymentChallenge challenge, PaymentQuote quote) throws PaymentException {
    return payments.pay(challenge, quote);
  }

  @Override
  public PaymentSettlement settled(
      PaymentChallenge challenge,
      PaymentProof proof,
      int status,
      java.util.Map<String, List<String>> headers)
      throws PaymentException {
    return payments.settled(challenge, proof, status, headers);
  }
}
