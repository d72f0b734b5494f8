package dev.briefcase.kernel.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.payment.PaidRetry;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentHistory;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import dev.briefcase.payment.PaymentRail;
import dev.briefcase.payment.PaymentRecord;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.payment.PaymentSettlement;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's payment step (SPEC §14.5): rails looked up per call, the first quote in rail order,
 * the amount gated and reserved against the call's budget category in one step ({@link
 * BudgetLedger#reserve}), the payment row persisted with its idempotency key before the rail pays,
 * then the spend settled with the amount paid (or released when paying failed) and a {@code
 * payment} receipt written per outcome. Receipts and rows hold metadata only: the retry headers
 * never leave {@link PaidRetry}. Thread-safe.
 */
@Component(
    service = {PaymentService.class, PaymentHistory.class},
    configurationPid = "dev.briefcase.kernel.payments")
@Designate(ocd = PaymentKernel.Config.class)
public final class PaymentKernel implements PaymentService, PaymentHistory {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentKernel.class);
  static final int MAX_BODY_CHARS = 64 * 1024;

  /** The same payment (same match) is being made or settled by another running call. */
  static final String PAYMENT_IN_PROGRESS = "payment_in_progress";

  private static final int MAX_LIST = 500;

  /** The quote facts a receipt may carry; anything else a rail puts in its facts is dropped. */
  static final Set<String> RECEIPT_FACTS =
      Set.of(
          "asset",
          "network",
          "amount_atomic",
          "amount_msat",
          "payment_hash",
          "pay_to",
          "scheme",
          "decimals");

  private static final Pattern FACT_VALUE = Pattern.compile("[\\x20-\\x7e]{1,128}");
  // nonces, transaction and payment hashes are at most 0x + 64 hex; a 65-byte signature is longer
  private static final Pattern REFERENCE = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
  private static final Pattern CODE = Pattern.compile("[a-z0-9_]{1,64}");

  @ObjectClassDefinition(
      name = "Briefcase payments",
      description = "How the kernel answers a provider's 402 (SPEC §14.5).")
  public @interface Config {
    @AttributeDefinition(
        name = "Rail order",
        description =
            "Rail schemes (rail.scheme) in the order their quotes are asked; the first quote"
                + " wins. Rails of schemes not listed come last.")
    String[] rail_order() default {"x402", "l402"};

    @AttributeDefinition(
        name = "Rail order per provider",
        description =
            "Entries <provider base URL>=<scheme>,<scheme>… (e.g. http://127.0.0.1:9099=l402,x402)"
                + " that replace the rail order for that provider; malformed entries are ignored"
                + " with a WARN.")
    String[] provider_rail_order() default {};

    @AttributeDefinition(
        name = "Most one payment may cost (µUSD)",
        description =
            "A rail refuses a challenge above this (payment_amount_too_high) before the budget"
                + " gate is even asked.")
    long max_amount_microusd() default 5_000_000L;
  }

  /** What settled() needs of a payment made for a call that is still running. */
  private record Pending(
      PaymentRail rail,
      String scheme,
      PaymentChallenge challenge,
      PaymentProof proof,
      CallsInFlight.Call call,
      long amountMicroUsd,
      Map<String, String> facts,
      String provider) {}

  private final ReceiptLog receipts;
  private final BudgetLedger budgets;
  private final CallsInFlight calls;
  private final Clock clock;
  private final PaymentBook book;
  private final List<String> railOrder;
  private final Map<String, List<String>> providerOrder;
  private final long maxAmountMicroUsd;
  private final SecureRandom random = new SecureRandom();
  private final Map<ServiceReference<PaymentRail>, PaymentRail> rails = new ConcurrentHashMap<>();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  // payment rows a running call is paying or waiting to settle: another call never takes their
  // key over, so it cannot re-send the same authorisation nor move the row's state under it
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  // one key decision at a time per match hash (striped, so the locks do not grow with payments):
  // two retries of one payment racing each other share one key
  private final Object[] matchLocks = new Object[64];

  @Activate
  public PaymentKernel(
      @Reference Store store,
      @Reference ReceiptLog receipts,
      @Reference BudgetLedger budgets,
      @Reference CallsInFlight calls,
      Config config) {
    this(store, receipts, budgets, calls, config, Clock.systemUTC());
  }

  PaymentKernel(
      Store store,
      ReceiptLog receipts,
      BudgetLedger budgets,
      CallsInFlight calls,
      Config config,
      Clock clock) {
    this.receipts = receipts;
    this.budgets = budgets;
    this.calls = calls;
    this.clock = clock;
    this.book = new PaymentBook(store);
    List<String> order = new ArrayList<>();
    for (String s : config.rail_order()) {
      order.add(s.strip().toLowerCase(Locale.ROOT));
    }
    this.railOrder = List.copyOf(order);
    this.providerOrder = providerOrders(config.provider_rail_order());
    this.maxAmountMicroUsd = config.max_amount_microusd();
    for (int i = 0; i < matchLocks.length; i++) {
      matchLocks[i] = new Object();
    }
  }

  @Reference(cardinality = MULTIPLE, policy = DYNAMIC, policyOption = GREEDY)
  void bindRail(ServiceReference<PaymentRail> ref, PaymentRail rail) {
    rails.put(ref, rail);
  }

  void unbindRail(ServiceReference<PaymentRail> ref) {
    rails.remove(ref);
  }

  @Override
  public PaidRetry pay(
      ToolInvocation invocation,
      String providerBaseUrl,
      int status,
      Map<String, List<String>> headers,
      String body)
      throws PaymentException {
    CallsInFlight.Call call = calls.find(invocation);
    if (call == null) {
      throw new PaymentException(CALL_UNKNOWN, "payments are made only for a running tool call");
    }
    if (status != 402) {
      throw new PaymentException("payment_challenge_invalid", "not a 402 answer");
    }
    String text = body == null ? "" : body;
    if (text.length() > MAX_BODY_CHARS) {
      throw new PaymentException("payment_challenge_invalid", "the 402 body is over 64 KiB");
    }
    Map<String, List<String>> lower = lowerCase(headers);
    // the rails as they are now; one that leaves from here on still finishes this call
    List<Map.Entry<ServiceReference<PaymentRail>, PaymentRail>> ranked =
        ranked(providerOrder.getOrDefault(origin(providerBaseUrl), railOrder));
    if (ranked.isEmpty()) {
      throw new PaymentException(RAIL_UNAVAILABLE, "no payment rail is available");
    }
    PaymentChallenge probe =
        new PaymentChallenge(providerBaseUrl, lower, text, maxAmountMicroUsd, freshKey());
    PaymentRail rail = null;
    String scheme = null;
    PaymentQuote quote = null;
    PaymentException refused = null;
    for (Map.Entry<ServiceReference<PaymentRail>, PaymentRail> e : ranked) {
      try {
        PaymentQuote q = e.getValue().quote(probe);
        if (q != null) {
          rail = e.getValue();
          scheme = scheme(e.getKey());
          quote = q;
          break;
        }
      } catch (PaymentException ex) {
        if (refused == null) {
          refused = ex;
        }
      } catch (RuntimeException ex) {
        LOG.warn("payment rail {} failed to quote", scheme(e.getKey()), ex);
      }
    }
    if (quote == null) {
      if (refused != null) {
        throw new PaymentException(refused.code(), refused.getMessage());
      }
      throw new PaymentException(PAYMENT_REQUIRED, "no payment rail answers the 402");
    }
    // 0 is a credential already paid for (an L402 token presented again); it is still receipted
    if (quote.amountMicroUsd() < 0) {
      throw new PaymentException("payment_challenge_invalid", "the quote has a negative amount");
    }
    if (quote.amountMicroUsd() > maxAmountMicroUsd) {
      throw new PaymentException(
          "payment_amount_too_high", "the payment is above the configured maximum");
    }
    long amount = quote.amountMicroUsd();
    Map<String, String> facts = receiptFacts(quote.facts());
    String provider = CanonicalJson.printable(providerBaseUrl);
    String matchHash = matchHash(provider, call, scheme, amount, quote.facts());

    // a payment already made for this match (left open by a 500 after settlement or a crash after
    // paying) is re-sent with its key: the same authorisation, so no new money can move, and its
    // spend is already counted; gating or counting it again would charge the budget twice
    boolean alreadySpent =
        book.unfinished(matchHash).filter(r -> "paid".equals(r.state())).isPresent();
    long gated = alreadySpent ? 0 : amount;
    // a human's approval lifts the gate only for the payment it was shown, and only once
    boolean approved = !alreadySpent && call.takeApproval(amount, provider, scheme);
    BudgetLedger.Reservation reservation =
        budgets.reserve(call.category, gated, approved, call.toolId, call.requestId);
    if (reservation == null) {
      throw new PaymentOverBudgetException(
          "payment of "
              + ToolCallPipeline.usd(amount).toPlainString()
              + " USD via "
              + scheme
              + " to "
              + OneLineText.of(provider, 80)
              + " ("
              + OneLineText.of(quote.description(), 80)
              + ") exceeds the "
              + call.category
              + " budget",
          new CallsInFlight.ApprovedPayment(amount, provider, scheme));
    }
    String id;
    String key;
    Instant now = clock.instant();
    try {
      synchronized (matchLocks[Math.floorMod(matchHash.hashCode(), matchLocks.length)]) {
        Optional<PaymentBook.Row> open = book.unfinished(matchHash);
        if (open.isPresent()) {
          // a retried or crashed attempt: the same key makes the rail re-send its authorisation
          id = open.get().id();
          key = open.get().idempotencyKey();
          if (!inFlight.add(id)) {
            throw new PaymentException(
                PAYMENT_IN_PROGRESS, "the same payment is still being made for another call");
          }
          try {
            book.reopen(id, CanonicalJson.printable(call.requestId), now);
          } catch (RuntimeException e) {
            inFlight.remove(id);
            throw e;
          }
        } else {
          id = UUID.randomUUID().toString();
          key = freshKey();
          book.insert(
              new PaymentBook.Row(
                  id,
                  key,
                  now,
                  now,
                  reservation.day,
                  CanonicalJson.printable(call.requestId),
                  CanonicalJson.printable(call.toolId),
                  provider,
                  scheme,
                  amount,
                  OneLineText.of(quote.description(), 200),
                  facts,
                  "authorising",
                  null,
                  null,
                  1),
              matchHash);
          inFlight.add(id);
        }
      }
    } catch (RuntimeException e) {
      budgets.release(reservation);
      throw e;
    }
    PaymentChallenge challenge = new PaymentChallenge(providerBaseUrl, lower, text, amount, key);
    PaymentProof proof;
    try {
      proof = rail.pay(challenge, quote);
      if (proof == null || proof.retryHeaders() == null) {
        throw new PaymentException("payment_rail_failed", "the rail returned no credential");
      }
    } catch (RuntimeException | Error e) {
      // a rail that breaks (any Throwable) leaves a failed row and no held budget
      String code = e instanceof PaymentException pe ? safeCode(pe.code()) : "payment_rail_failed";
      inFlight.remove(id);
      budgets.release(reservation);
      book.update(id, "failed", code, null, clock.instant());
      receipt(id, call, provider, scheme, amount, facts, "failed", code, null);
      if (e instanceof PaymentException pe) {
        throw new PaymentException(code, OneLineText.of(pe.getMessage(), 200));
      }
      LOG.warn("payment rail {} failed to pay", scheme, e);
      throw new PaymentException(code, "the payment rail failed");
    }
    // the spend counts what the rail says it paid, never less than what was gated
    long paid = Math.max(amount, proof.amountMicroUsd());
    budgets.settle(reservation, alreadySpent ? 0 : paid);
    String reference = reference(proof.reference());
    book.update(id, "paid", null, reference, clock.instant());
    receipt(id, call, provider, scheme, paid, facts, "paid", null, reference);
    pending.put(id, new Pending(rail, scheme, challenge, proof, call, paid, facts, provider));
    call.onEnd(
        () -> {
          pending.remove(id);
          inFlight.remove(id);
        });
    return new PaidRetry(id, scheme, paid, proof.retryHeaders());
  }

  @Override
  public PaymentSettlement settled(PaidRetry retry, int status, Map<String, List<String>> headers)
      throws PaymentException {
    Pending p = retry == null ? null : pending.remove(retry.paymentId());
    if (p == null) {
      throw new PaymentException(PAYMENT_UNKNOWN, "no such payment for a running call");
    }
    String id = retry.paymentId();
    if ((status < 200 || status >= 300) && status != 401 && status != 402) {
      // Neither a success nor a refusal (e.g. a 500 after the provider settled): the payment may
      // have been made. The row stays unfinished, so a retry of the call sends the same
      // authorisation again (a provider that already settled it refuses the replay) instead of a
      // second payment.
      book.update(id, "paid", "payment_response_invalid", null, clock.instant());
      receipt(
          id,
          p.call,
          p.provider,
          p.scheme,
          p.amountMicroUsd,
          p.facts,
          "unresolved",
          "payment_response_invalid",
          null);
      throw new PaymentException(
          "payment_response_invalid",
          "the provider answered "
              + status
              + " to the paid retry; the payment stays open and a retry of the call sends it again");
    }
    PaymentSettlement settlement;
    try {
      settlement = settle(p, id, status, headers);
    } finally {
      inFlight.remove(id);
    }
    return settlement;
  }

  private PaymentSettlement settle(
      Pending p, String id, int status, Map<String, List<String>> headers) throws PaymentException {
    PaymentSettlement settlement;
    try {
      settlement = p.rail.settled(p.challenge, p.proof, status, lowerCase(headers));
      if (status == 401 || status == 402) {
        // a provider that asks again refused the payment, whatever the rail makes of it
        throw new PaymentException(
            "payment_rejected", "the provider refused the payment (HTTP " + status + ")");
      }
      if (settlement == null) {
        throw new PaymentException("payment_response_invalid", "the rail confirmed nothing");
      }
    } catch (RuntimeException | Error e) {
      String code =
          e instanceof PaymentException pe ? safeCode(pe.code()) : "payment_response_invalid";
      book.update(id, "rejected", code, null, clock.instant());
      receipt(id, p.call, p.provider, p.scheme, p.amountMicroUsd, p.facts, "rejected", code, null);
      throw new PaymentException(
          code,
          e instanceof PaymentException pe
              ? OneLineText.of(pe.getMessage(), 200)
              : "the payment rail failed");
    }
    String reference = reference(settlement.reference());
    book.update(id, "settled", null, reference, clock.instant());
    receipt(
        id, p.call, p.provider, p.scheme, p.amountMicroUsd, p.facts, "settled", null, reference);
    return settlement;
  }

  @Override
  public List<PaymentRecord> list(String day, String rail, int limit, long offset) {
    int n = Math.max(1, Math.min(limit, MAX_LIST));
    return book.list(day, rail, n, Math.max(0, offset)).stream()
        .map(PaymentKernel::record)
        .toList();
  }

  @Override
  public Optional<PaymentRecord> get(String id) {
    return id == null ? Optional.empty() : book.get(id).map(PaymentKernel::record);
  }

  private static PaymentRecord record(PaymentBook.Row r) {
    return new PaymentRecord(
        r.id(),
        r.created(),
        r.updated(),
        r.day(),
        r.requestId(),
        r.toolId(),
        r.provider(),
        r.rail(),
        r.amountMicroUsd(),
        r.description(),
        r.facts(),
        r.state(),
        r.code(),
        r.reference(),
        r.attempts());
  }

  /** {@code origin=scheme,scheme} entries by normalised origin. */
  private static Map<String, List<String>> providerOrders(String[] entries) {
    Map<String, List<String>> out = new java.util.HashMap<>();
    for (String entry : entries == null ? new String[0] : entries) {
      int eq = entry == null ? -1 : entry.lastIndexOf('=');
      String origin = eq <= 0 ? null : origin(entry.substring(0, eq).strip());
      if (origin == null) {
        LOG.warn("payments: ignoring provider_rail_order entry {}", OneLineText.of(entry, 120));
        continue;
      }
      List<String> order = new ArrayList<>();
      for (String scheme : entry.substring(eq + 1).split(",")) {
        if (!scheme.isBlank()) {
          order.add(scheme.strip().toLowerCase(Locale.ROOT));
        }
      }
      out.put(origin, List.copyOf(order));
    }
    return Map.copyOf(out);
  }

  /** {@code scheme://host[:port]} in lower case, or null when it is not a URL. */
  static String origin(String url) {
    try {
      java.net.URI u = new java.net.URI(url);
      if (u.getScheme() == null || u.getHost() == null) {
        return null;
      }
      return (u.getScheme() + "://" + u.getHost()).toLowerCase(Locale.ROOT)
          + (u.getPort() < 0 ? "" : ":" + u.getPort());
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  /** Rails in the given scheme order, the higher ranking first within a scheme. */
  private List<Map.Entry<ServiceReference<PaymentRail>, PaymentRail>> ranked(
      List<String> railOrder) {
    List<Map.Entry<ServiceReference<PaymentRail>, PaymentRail>> out =
        new ArrayList<>(rails.entrySet());
    out.sort(
        Comparator.<Map.Entry<ServiceReference<PaymentRail>, PaymentRail>>comparingInt(
                e -> {
                  int i = railOrder.indexOf(scheme(e.getKey()));
                  return i < 0 ? railOrder.size() : i;
                })
            .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()));
    return out;
  }

  private static String scheme(ServiceReference<PaymentRail> ref) {
    Object s = ref.getProperty(PaymentRail.SCHEME);
    String text = s == null ? "" : s.toString().toLowerCase(Locale.ROOT);
    return text.matches("[a-z0-9_]{1,32}") ? text : "unknown";
  }

  private String freshKey() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The same payment: provider, tool, arguments (call hash), rail and what was quoted. */
  private static String matchHash(
      String provider,
      CallsInFlight.Call call,
      String scheme,
      long amount,
      Map<String, String> facts) {
    ObjectNode o = CanonicalJson.MAPPER.createObjectNode();
    o.put("provider", provider);
    o.put("tool_id", CanonicalJson.printable(call.toolId));
    o.put("call_hash", call.callHash);
    o.put("rail", scheme);
    o.put("amount_microusd", amount);
    ObjectNode f = o.putObject("facts");
    new TreeMap<>(facts)
        .forEach((k, v) -> f.put(CanonicalJson.printable(k), CanonicalJson.printable(v)));
    return CanonicalJson.sha256Hex(CanonicalJson.canonical(o));
  }

  static Map<String, String> receiptFacts(Map<String, String> facts) {
    Map<String, String> out = new TreeMap<>();
    facts.forEach(
        (k, v) -> {
          if (RECEIPT_FACTS.contains(k) && v != null && FACT_VALUE.matcher(v).matches()) {
            out.put(k, v);
          }
        });
    return out;
  }

  private static String reference(String r) {
    return r != null && REFERENCE.matcher(r).matches() ? r : null;
  }

  private static String safeCode(String code) {
    return code != null && CODE.matcher(code).matches() ? code : "payment_rail_failed";
  }

  private static Map<String, List<String>> lowerCase(Map<String, List<String>> headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (headers != null) {
      headers.forEach(
          (k, v) -> {
            if (k != null && v != null) {
              out.computeIfAbsent(k.toLowerCase(Locale.ROOT), x -> new ArrayList<>()).addAll(v);
            }
          });
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return out;
  }

  /** One {@code payment} receipt: metadata only, never headers, signatures, proofs, preimages. */
  private void receipt(
      String id,
      CallsInFlight.Call call,
      String provider,
      String scheme,
      long amount,
      Map<String, String> facts,
      String result,
      String code,
      String reference) {
    ObjectNode e = CanonicalJson.MAPPER.createObjectNode();
    e.put("type", "payment");
    e.put("payment_id", id);
    e.put("tool_id", CanonicalJson.printable(call.toolId));
    e.put("request_id", CanonicalJson.printable(call.requestId));
    e.put("provider", provider);
    e.put("rail", scheme);
    e.put("auth_method", "payment_" + scheme);
    e.put("amount_microusd", amount);
    facts.forEach(e::put);
    if (reference != null) {
      e.put("reference", reference);
    }
    e.put("result", result);
    if (code != null) {
      e.put("code", code);
    }
    e.put("ts", clock.instant().toString());
    receipts.append(e);
  }

  /** One line of at most {@code max} characters, for text that comes from a rail or provider. */
  static final class OneLineText {
    private OneLineText() {}

    static String of(String s, int max) {
      if (s == null) {
        return "";
      }
      String t = CanonicalJson.printable(s).replaceAll("[\\p{Cntrl}]+", " ").strip();
      return t.length() <= max ? t : t.substring(0, max);
    }
  }
}
