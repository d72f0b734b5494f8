package dev.briefcase.payhelper;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Serves one request (PAYMENTS §3): checks it, then answers it exactly once per idempotency key.
 * Every check runs before anything is written or paid, so a refused request changes nothing.
 */
public final class Server {
  /** The largest request read from stdin. */
  public static final int MAX_REQUEST = 1 << 20;

  static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  static final String X402 = "x402_v2";
  static final String L402 = "l402";

  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION.mappedFeature())
          .build();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Opens the key store when a request needs it (never for a request refused earlier). */
  @FunctionalInterface
  public interface Keys {
    KeyStoreFile open() throws HelperException;
  }

  private final HelperConfig config;
  private final Keys keys;
  private final LightningNode node;
  private final InvoiceDecoder decoder;
  private final Clock clock;
  private EvmSigners signers = EvmSigners.KEY_STORE;
  private Runnable afterJournal = () -> {};

  public Server(
      HelperConfig config, Keys keys, LightningNode node, InvoiceDecoder decoder, Clock clock) {
    this.config = config;
    this.keys = keys;
    this.node = node;
    this.decoder = decoder;
    this.clock = clock;
  }

  /** Where the EVM key lives (default: the key store). */
  public Server signers(EvmSigners signers) {
    this.signers = signers;
    return this;
  }

  /** Runs after an answer is journaled and before it is returned (tests simulate a crash there). */
  void afterJournal(Runnable hook) {
    this.afterJournal = hook;
  }

  /** Parses and serves the bytes read from stdin. */
  public ObjectNode serve(byte[] stdin) throws HelperException {
    if (stdin.length > MAX_REQUEST) {
      throw Requests.invalid("the request is larger than 1 MiB");
    }
    JsonNode parsed;
    try {
      parsed = STRICT.readTree(stdin);
    } catch (IOException e) {
      throw Requests.invalid("the request is not one JSON object");
    }
    if (parsed == null || !parsed.isObject()) {
      throw Requests.invalid("the request is not one JSON object");
    }
    return serve((ObjectNode) parsed);
  }

  /** Serves one parsed request. */
  public ObjectNode serve(ObjectNode request) throws HelperException {
    JsonNode keyNode = request.get("idempotency_key");
    if (keyNode == null || !keyNode.isTextual() || !KEY.matcher(keyNode.asText()).matches()) {
      throw Requests.invalid("idempotency_key must be 1..128 characters of [A-Za-z0-9_-]");
    }
    String key = keyNode.asText();
    JsonNode rail = request.get("rail");
    String railName = rail != null && rail.isTextual() ? rail.asText() : "";
    Instant now = clock.instant();
    switch (railName) {
      case X402:
        {
          X402Signer signer = new X402Signer(config.limits());
          X402Signer.Checked checked = signer.check(request);
          return x402(key, digest(request), signer, checked, now);
        }
      case L402:
        {
          L402Payer payer = new L402Payer(config.limits(), decoder);
          L402Payer.Checked checked = payer.check(request, now);
          return l402(key, digest(request), checked, now);
        }
      default:
        throw Requests.invalid("unknown rail (expected x402_v2 or l402)");
    }
  }

  private ObjectNode x402(
      String key, String digest, X402Signer signer, X402Signer.Checked checked, Instant now)
      throws HelperException {
    KeyStoreFile store = keys.open();
    Journal journal = journal(store, now);
    try (AutoCloseable lock = journal.lock(key)) {
      Optional<Journal.Entry> earlier = journal.read(key);
      if (earlier.isPresent()) {
        return replay(journal, key, digest, earlier.get(), X402);
      }
      // counted durably before anything is signed; a re-send above is replayed and not counted
      HelperConfig.Asset asset = checked.asset();
      DailyLedger ledger = journal.ledger();
      LocalDate day = DailyLedger.day(now);
      String bucket = DailyLedger.x402Bucket(asset.network(), asset.address());
      BigInteger amount = checked.offer().amount();
      ledger.reserve(day, bucket, amount, asset.maxAtomicPerDay());
      ObjectNode answer;
      boolean signed = false;
      try (EvmSigners.Handle evm = signers.open(store)) {
        answer = signer.sign(checked, evm.signer(), now);
        signed = true;
      } finally {
        if (!signed) {
          // nothing was signed: the reservation is given back
          ledger.release(day, bucket, amount);
        }
      }
      journal.write(key, X402, digest, "done", null, now, JSON.writeValueAsBytes(answer));
      afterJournal.run();
      return answer;
    } catch (HelperException e) {
      throw e;
    } catch (Exception e) {
      throw journalFailure(e);
    }
  }

  private ObjectNode l402(String key, String digest, L402Payer.Checked checked, Instant now)
      throws HelperException {
    if (node == null) {
      throw new HelperException(
          HelperException.NODE_FAILED, "no Lightning node is configured (lnd or cln)");
    }
    KeyStoreFile store = keys.open();
    Journal journal = journal(store, now);
    String hash = checked.invoice().paymentHash();
    try (AutoCloseable lock = journal.lock(key)) {
      Optional<Journal.Entry> earlier = journal.read(key);
      if (earlier.isPresent()) {
        Journal.Entry e = earlier.get();
        if (!e.rail().equals(L402) || !e.requestDigest().equals(digest)) {
          throw conflict();
        }
        if ("paying".equals(e.state())) {
          return resolve(journal, key, digest, e, hash, checked);
        }
        return replay(journal, key, digest, e, L402);
      }
      // counted durably before the node is asked to pay; a re-send above is not counted again
      journal
          .ledger()
          .reserve(
              DailyLedger.day(now),
              DailyLedger.L402_BUCKET,
              msat(checked),
              config.limits().maxMsatPerDay() == null
                  ? null
                  : BigInteger.valueOf(config.limits().maxMsatPerDay()));
      journal.write(key, L402, digest, "paying", hash, now, null);
      LightningNode.Payment paid;
      try {
        paid = node.pay(checked.bolt11(), hash);
      } catch (LightningNode.NodeException ne) {
        if (ne.definite()) {
          // nothing was paid: a later call with this key may try again (after a node outage)
          free(journal, key, now, checked);
        }
        throw new HelperException(HelperException.NODE_FAILED, ne.getMessage());
      }
      return settle(journal, key, digest, hash, paid, now);
    } catch (HelperException e) {
      throw e;
    } catch (Exception e) {
      throw journalFailure(e);
    }
  }

  /** A key journaled as paying with no preimage: ask the node, never pay again. */
  private ObjectNode resolve(
      Journal journal,
      String key,
      String digest,
      Journal.Entry e,
      String hash,
      L402Payer.Checked checked)
      throws HelperException, IOException {
    Optional<LightningNode.Payment> p;
    try {
      p = node.lookup(hash);
    } catch (LightningNode.NodeException ne) {
      throw new HelperException(
          HelperException.NODE_FAILED, "an earlier payment is unresolved: " + ne.getMessage());
    }
    if (p.isPresent() && p.get().status() == LightningNode.Status.SUCCEEDED) {
      return settle(journal, key, digest, hash, p.get(), e.createdAt());
    }
    if (p.isPresent() && p.get().status() == LightningNode.Status.FAILED) {
      // a terminal failure paid nothing: the key is free for another attempt
      free(journal, key, e.createdAt(), checked);
      throw new HelperException(HelperException.NODE_FAILED, "the node reports the payment failed");
    }
    throw new HelperException(
        HelperException.NODE_FAILED,
        "an earlier payment with this key is unresolved (the node has no completed record yet);"
            + " it is not paid again");
  }

  /**
   * Frees the key of a payment the node certainly did not make and takes its amount off the day it
   * was counted on. The entry goes first: a crash in between leaves the amount counted (fail
   * closed), never subtracted twice.
   */
  private static void free(Journal journal, String key, Instant created, L402Payer.Checked checked)
      throws IOException {
    journal.delete(key);
    journal.ledger().release(DailyLedger.day(created), DailyLedger.L402_BUCKET, msat(checked));
  }

  private static BigInteger msat(L402Payer.Checked checked) {
    return BigInteger.valueOf(checked.invoice().amountMsat());
  }

  private ObjectNode settle(
      Journal journal,
      String key,
      String digest,
      String hash,
      LightningNode.Payment paid,
      Instant created)
      throws HelperException, IOException {
    if (!L402Payer.matches(paid.preimage(), hash)) {
      // the node paid something, but not with a preimage of this invoice: keep it paying so the
      // operator sees it, and give the kernel nothing it could present
      throw new HelperException(
          HelperException.PREIMAGE_MISMATCH, "the node's preimage does not match the payment hash");
    }
    ObjectNode answer = JSON.createObjectNode();
    answer.put("preimage", paid.preimage());
    answer.put("payment_hash", hash);
    journal.write(key, L402, digest, "paid", hash, created, JSON.writeValueAsBytes(answer));
    afterJournal.run();
    return answer;
  }

  private ObjectNode replay(
      Journal journal, String key, String digest, Journal.Entry e, String rail)
      throws HelperException, IOException {
    if (!e.rail().equals(rail) || !e.requestDigest().equals(digest)) {
      throw conflict();
    }
    return (ObjectNode) JSON.readTree(journal.unseal(key, e));
  }

  private Journal journal(KeyStoreFile store, Instant now) throws HelperException {
    try {
      Journal j = new Journal(config.journalDir(), store.dataKey());
      j.prune(now);
      return j;
    } catch (IOException e) {
      throw journalFailure(e);
    }
  }

  private static HelperException conflict() {
    return new HelperException(
        HelperException.IDEMPOTENCY_CONFLICT,
        "this idempotency_key was used for a different request");
  }

  private static HelperException journalFailure(Exception e) {
    // nothing is answered without a durable journal entry
    return new HelperException(
        HelperException.REQUEST_INVALID,
        "the idempotency journal is unavailable: " + e.getClass().getSimpleName());
  }

  /** SHA-256 (hex) of the request with sorted members and without its idempotency key. */
  static String digest(ObjectNode request) {
    ObjectNode copy = request.deepCopy();
    copy.remove("idempotency_key");
    try {
      byte[] canonical = JSON.writeValueAsBytes(sorted(copy));
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode sorted(JsonNode n) {
    if (n.isObject()) {
      ObjectNode out = JSON.createObjectNode();
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      Collections.sort(names);
      for (String name : names) {
        out.set(name, sorted(n.get(name)));
      }
      return out;
    }
    if (n.isArray()) {
      var out = JSON.createArrayNode();
      n.forEach(item -> out.add(sorted(item)));
      return out;
    }
    return n;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
