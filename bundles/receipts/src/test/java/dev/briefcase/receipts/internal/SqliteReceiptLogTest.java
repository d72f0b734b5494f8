package dev.briefcase.receipts.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.store.Durability;
import dev.briefcase.store.SqlWork;
import dev.briefcase.store.Store;
import dev.briefcase.store.StoreException;
import dev.briefcase.store.internal.SqliteStore;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class SqliteReceiptLogTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ObjectMapper mapper = new ObjectMapper();
  private SqliteStore store;
  private SqliteReceiptLog log;

  @Before
  public void open() {
    store = new SqliteStore(tmp.getRoot().toPath().resolve("briefcase.db"));
    log = new SqliteReceiptLog(store, SqliteReceiptLog.DEFAULT_MAX_BATCH, 30_000);
  }

  @After
  public void close() {
    log.close();
    store.close();
  }

  private ObjectNode event(String decision, int n) {
    ObjectNode e = mapper.createObjectNode();
    e.put("type", "tool_call");
    e.put("tool_id", "notes.add");
    e.put("decision", decision);
    e.put("n", n);
    e.put("ts", "2025-06-01T12:00:00Z");
    return e;
  }

  private static String sha256Hex(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  private void sql(String statement) {
    store.write(
        c -> {
          try (Statement st = c.createStatement()) {
            return st.executeUpdate(statement);
          }
        });
  }

  private long rows() {
    return store.read(
        c -> {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT count(*) FROM receipts")) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  private String storedJson(long id) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT event_json FROM receipts WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getString(1) : null;
            }
          }
        });
  }

  @Test
  public void firstHashIsSha256OfGenesisAndJcs() throws Exception {
    ObjectNode event = mapper.createObjectNode();
    event.put("type", "tool_call");
    event.put("ts", "2025-06-01T12:00:00Z");
    event.put("cost_usd", new BigDecimal("2.0E-3"));
    event.put("decision", "allow");
    String canonical =
        "{\"cost_usd\":0.002,\"decision\":\"allow\",\"ts\":\"2025-06-01T12:00:00Z\","
            + "\"type\":\"tool_call\"}";

    Receipt first = log.append(event);
    assertEquals(1, first.id());
    assertEquals("0".repeat(64), first.prevHashHex());
    assertEquals(sha256Hex("0".repeat(64) + canonical), first.hashHex());
    assertEquals("the canonical text is what is stored", canonical, storedJson(1));

    Receipt second = log.append(event("deny", 2));
    assertEquals(2, second.id());
    assertEquals(first.hashHex(), second.prevHashHex());
    assertEquals(
        sha256Hex(first.hashHex() + ReceiptChain.canonicalize(event("deny", 2))), second.hashHex());
    VerifyResult result = log.verify();
    assertEquals(new VerifyResult(true, 2, second.hashHex(), null, null, null), result);
  }

  @Test
  public void emptyLogVerifies() {
    assertEquals(
        new VerifyResult(true, 0, ReceiptChain.GENESIS_HASH_HEX, null, null, null), log.verify());
  }

  @Test
  public void editedByteIsHashMismatchAtThatId() {
    Receipt r1 = log.append(event("allow", 1));
    log.append(event("deny", 2));
    log.append(event("allow", 3));
    sql(
        "UPDATE receipts SET event_json = replace(event_json, '\"deny\"', '\"dent\"') WHERE id = 2");
    VerifyResult result = log.verify();
    assertFalse(result.ok());
    assertEquals(Long.valueOf(2), result.firstBadId());
    assertEquals("hash_mismatch", result.reason());
    assertEquals(r1.hashHex(), result.expectedPrevHashHex());
    assertEquals(1, result.count());
  }

  @Test
  public void nonCanonicalStoredTextIsHashMismatch() {
    log.append(event("allow", 1));
    // same meaning, different bytes: the stored text must stay canonical
    sql("UPDATE receipts SET event_json = ' ' || event_json WHERE id = 1");
    VerifyResult result = log.verify();
    assertEquals("hash_mismatch", result.reason());
    assertEquals(Long.valueOf(1), result.firstBadId());
  }

  @Test
  public void deletedRowIsChainBrokenAtTheNextId() {
    Receipt r1 = log.append(event("allow", 1));
    log.append(event("allow", 2));
    log.append(event("allow", 3));
    log.append(event("allow", 4));
    sql("DELETE FROM receipts WHERE id = 2");
    VerifyResult result = log.verify();
    assertFalse(result.ok());
    assertEquals(Long.valueOf(3), result.firstBadId());
    assertEquals("chain_broken", result.reason());
    assertEquals(r1.hashHex(), result.expectedPrevHashHex());
  }

  @Test
  public void rewrittenLinkIsChainBroken() {
    log.append(event("allow", 1));
    Receipt r2 = log.append(event("allow", 2));
    log.append(event("allow", 3));
    sql("UPDATE receipts SET prev_hash_hex = '" + "f".repeat(64) + "' WHERE id = 3");
    VerifyResult result = log.verify();
    assertEquals("chain_broken", result.reason());
    assertEquals(Long.valueOf(3), result.firstBadId());
    assertEquals(r2.hashHex(), result.expectedPrevHashHex());
  }

  @Test
  public void truncatedTailIsChainBrokenAndRefusesToExtend() {
    log.append(event("allow", 1));
    Receipt r2 = log.append(event("allow", 2));
    log.append(event("allow", 3));
    sql("DELETE FROM receipts WHERE id = 3");
    VerifyResult result = log.verify();
    assertEquals("chain_broken", result.reason());
    assertEquals(Long.valueOf(3), result.firstBadId());
    assertEquals(r2.hashHex(), result.expectedPrevHashHex());
    ReceiptException e = assertThrows(ReceiptException.class, () -> log.append(event("x", 4)));
    assertTrue(e.getMessage(), e.getMessage().contains("head changed"));
    assertEquals("nothing was chained onto the truncated tail", 2, rows());
  }

  @Test
  public void parallelAppendsFormOneLinearChain() throws Exception {
    int total = 100;
    ExecutorService pool = Executors.newFixedThreadPool(16);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Receipt>> futures = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      int n = i;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                return log.append(event("allow", n));
              }));
    }
    start.countDown();
    Set<Long> ids = new HashSet<>();
    for (Future<Receipt> f : futures) {
      ids.add(f.get(60, TimeUnit.SECONDS).id());
    }
    pool.shutdown();
    Set<Long> expected = new HashSet<>();
    for (long id = 1; id <= total; id++) {
      expected.add(id);
    }
    assertEquals(expected, ids);

    List<Receipt> all = log.list(500, 0);
    assertEquals(total, all.size());
    String prev = ReceiptChain.GENESIS_HASH_HEX;
    Set<Integer> ns = new HashSet<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      Receipt r = all.get(i);
      assertEquals(total - i, r.id());
      assertEquals("linear: every link points at its predecessor", prev, r.prevHashHex());
      prev = r.hashHex();
      ns.add(r.event().get("n").intValue());
    }
    assertEquals(total, ns.size());
    VerifyResult result = log.verify();
    assertTrue(result.toString(), result.ok());
    assertEquals(total, result.count());
    assertEquals(prev, result.headHashHex());
  }

  @Test
  public void smallBatchesStillChain() throws Exception {
    log.close();
    log = new SqliteReceiptLog(store, 3, 30_000);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<Receipt>> futures = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      int n = i;
      futures.add(pool.submit(() -> log.append(event("allow", n))));
    }
    for (Future<Receipt> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    VerifyResult result = log.verify();
    assertTrue(result.toString(), result.ok());
    assertEquals(40, result.count());
  }

  @Test
  public void reorderedKeysProduceTheSameHash() throws Exception {
    ObjectNode a = (ObjectNode) mapper.readTree("{\"ts\":\"t\",\"a\":1,\"b\":{\"y\":2,\"x\":1}}");
    ObjectNode b = (ObjectNode) mapper.readTree("{\"b\":{\"x\":1,\"y\":2},\"a\":1,\"ts\":\"t\"}");
    Receipt ra = log.append(a);
    assertEquals(ReceiptChain.hashEvent(ReceiptChain.GENESIS_HASH_HEX, b), ra.hashHex());
    Receipt rb = log.append(b);
    assertEquals(storedJson(1), storedJson(2));
    assertEquals(ReceiptChain.hashHex(ra.hashHex(), storedJson(1)), rb.hashHex());
  }

  @Test
  public void exportHasTrailerAndVerifiesIndependently() throws Exception {
    for (int i = 0; i < 5; i++) {
      ObjectNode e = event(i % 2 == 0 ? "allow" : "deny", i);
      e.put("cost_usd", new BigDecimal("2.0E-3"));
      e.put("note", "caf\u00e9 \ud83d\ude00 \"quoted\"\n");
      log.append(e);
    }
    StringWriter all = new StringWriter();
    assertEquals(5, log.export(0, all));
    String[] lines = all.toString().split("\n");
    assertEquals(6, lines.length);
    JsonNode trailer = mapper.readTree(lines[5]);
    assertEquals(log.verify().headHashHex(), trailer.get("head_hash_hex").asText());
    assertEquals(5, trailer.get("count").asLong());
    assertEquals(2, trailer.size());
    independentWalk(lines, 0, ReceiptChain.GENESIS_HASH_HEX);

    StringWriter tail = new StringWriter();
    assertEquals(2, log.export(3, tail));
    String[] tailLines = tail.toString().split("\n");
    assertEquals(3, tailLines.length);
    String hash3 = mapper.readTree(lines[2]).get("hash_hex").asText();
    independentWalk(tailLines, 3, hash3);

    StringWriter none = new StringWriter();
    assertEquals(0, log.export(99, none));
    JsonNode emptyTrailer = mapper.readTree(none.toString().strip());
    assertEquals(0, emptyTrailer.get("count").asLong());
    assertEquals(trailer.get("head_hash_hex"), emptyTrailer.get("head_hash_hex"));
  }

  /** Checks an export with nothing but Jackson, the JCS library and MessageDigest. */
  private void independentWalk(String[] lines, long afterId, String startHash) throws Exception {
    String prev = startHash;
    long id = afterId;
    for (int i = 0; i < lines.length - 1; i++) {
      JsonNode line = mapper.readTree(lines[i]);
      assertEquals(
          Set.of("id", "ts", "prev_hash_hex", "hash_hex", "event"),
          iteratorToSet(line.fieldNames()));
      assertEquals(++id, line.get("id").asLong());
      assertEquals(prev, line.get("prev_hash_hex").asText());
      String jcs =
          new JsonCanonicalizer(mapper.writeValueAsString(line.get("event"))).getEncodedString();
      String hash = sha256Hex(prev + jcs);
      assertEquals(hash, line.get("hash_hex").asText());
      prev = hash;
    }
    JsonNode trailer = mapper.readTree(lines[lines.length - 1]);
    assertEquals(prev, trailer.get("head_hash_hex").asText());
    assertEquals(lines.length - 1, trailer.get("count").asLong());
  }

  private static Set<String> iteratorToSet(java.util.Iterator<String> it) {
    Set<String> out = new HashSet<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  public void nonIJsonIsRejectedAndNothingWritten() {
    ObjectNode big = event("allow", 1);
    big.put("amount", ReceiptChain.MAX_SAFE_INTEGER + 1);
    ObjectNode nan = event("allow", 1);
    nan.put("cost_usd", Double.NaN);
    ObjectNode noTs = event("allow", 1);
    noTs.remove("ts");
    for (ObjectNode bad : List.of(big, nan, noTs)) {
      assertThrows(IllegalArgumentException.class, () -> log.append(bad));
    }
    assertEquals(0, rows());
    assertEquals(0, log.verify().count());
    assertEquals("the chain starts at 1 afterwards", 1, log.append(event("allow", 1)).id());
  }

  @Test
  public void listIsNewestFirstAndCapped() {
    for (int i = 1; i <= 3; i++) {
      log.append(event("allow", i));
    }
    assertEquals(List.of(3L, 2L, 1L), ids(log.list(10, 0)));
    assertEquals(List.of(2L, 1L), ids(log.list(2, 1)));
    assertEquals("limit is at least 1", List.of(3L), ids(log.list(0, -5)));
    assertEquals(List.of(), ids(log.list(10, 3)));
    Receipt newest = log.list(1, 0).get(0);
    assertEquals(3, newest.event().get("n").intValue());
    assertEquals(ReceiptChain.hashEvent(newest.prevHashHex(), newest.event()), newest.hashHex());
  }

  @Test
  public void listCapsAt500() {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<Receipt>> futures = new ArrayList<>();
    for (int i = 0; i < 510; i++) {
      int n = i;
      futures.add(pool.submit(() -> log.append(event("allow", n))));
    }
    futures.forEach(
        f -> {
          try {
            f.get(60, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    pool.shutdown();
    assertEquals(500, log.list(1000, 0).size());
  }

  private static List<Long> ids(List<Receipt> receipts) {
    return receipts.stream().map(Receipt::id).toList();
  }

  @Test
  public void closedLogFailsFast() {
    log.append(event("allow", 1));
    log.close();
    log.close();
    for (Runnable call :
        List.<Runnable>of(
            () -> log.append(event("allow", 2)),
            () -> log.list(10, 0),
            () -> log.verify(),
            () -> {
              try {
                log.export(0, Writer.nullWriter());
              } catch (java.io.IOException e) {
                throw new AssertionError(e);
              }
            })) {
      ReceiptException e = assertThrows(ReceiptException.class, call::run);
      assertEquals("receipt log closed", e.getMessage());
    }
    assertEquals(1, rows());
  }

  @Test
  public void closeDrainsQueuedAppends() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> futures = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  log.append(event("allow", n));
                  return true;
                } catch (ReceiptException e) {
                  assertEquals("receipt log closed", e.getMessage());
                  return false;
                }
              }));
    }
    start.countDown();
    log.close();
    int succeeded = 0;
    for (Future<Boolean> f : futures) {
      if (f.get(60, TimeUnit.SECONDS)) {
        succeeded++;
      }
    }
    pool.shutdown();
    assertEquals("every acknowledged append is in the database", succeeded, rows());
    log = new SqliteReceiptLog(store, 512, 30_000);
    VerifyResult result = log.verify();
    assertTrue(result.toString(), result.ok());
    assertEquals(succeeded, result.count());
  }

  @Test
  public void reopenedLogContinuesTheChain() {
    Receipt r1 = log.append(event("allow", 1));
    log.close();
    log = new SqliteReceiptLog(store, 512, 30_000);
    Receipt r2 = log.append(event("allow", 2));
    assertEquals(2, r2.id());
    assertEquals(r1.hashHex(), r2.prevHashHex());
    assertTrue(log.verify().ok());
  }

  /** A store whose writes can be made to fail before or after committing. */
  private static final class FaultyStore implements Store {
    final Store delegate;
    final AtomicInteger failBefore = new AtomicInteger();
    final AtomicInteger failAfterCommit = new AtomicInteger();
    volatile CountDownLatch block;

    FaultyStore(Store delegate) {
      this.delegate = delegate;
    }

    @Override
    public void migrate(String owner, List<String> steps) {
      delegate.migrate(owner, steps);
    }

    @Override
    public <T> T write(SqlWork<T> work) {
      CountDownLatch latch = block;
      if (latch != null) {
        try {
          latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (failBefore.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new StoreException("write transaction failed: SQLITE_IOERR", null);
      }
      T result = delegate.write(work);
      if (failAfterCommit.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new StoreException("write transaction failed: SQLITE_IOERR", null);
      }
      return result;
    }

    @Override
    public <T> T read(SqlWork<T> work) {
      return delegate.read(work);
    }

    @Override
    public int schemaVersion(String owner) {
      return delegate.schemaVersion(owner);
    }
  }

  /** Records the {@code synchronous} pragma each write transaction of the log committed under. */
  private static final class PragmaRecordingStore implements Store {
    final Store delegate;
    final List<Integer> synchronous = new java.util.concurrent.CopyOnWriteArrayList<>();

    PragmaRecordingStore(Store delegate) {
      this.delegate = delegate;
    }

    @Override
    public void migrate(String owner, List<String> steps) {
      delegate.migrate(owner, steps);
    }

    @Override
    public <T> T write(SqlWork<T> work) {
      return write(Durability.FULL, work);
    }

    @Override
    public <T> T write(Durability durability, SqlWork<T> work) {
      return delegate.write(
          durability,
          c -> {
            try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
              rs.next();
              synchronous.add(rs.getInt(1));
            }
            return work.run(c);
          });
    }

    @Override
    public <T> T read(SqlWork<T> work) {
      return delegate.read(work);
    }

    @Override
    public int schemaVersion(String owner) {
      return delegate.schemaVersion(owner);
    }
  }

  /** The component's activation inputs, as Config Admin and the framework would give them. */
  private static SqliteReceiptLog.Config config(String durability) {
    return (SqliteReceiptLog.Config)
        java.lang.reflect.Proxy.newProxyInstance(
            SqliteReceiptLogTest.class.getClassLoader(),
            new Class<?>[] {SqliteReceiptLog.Config.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "max_batch" -> SqliteReceiptLog.DEFAULT_MAX_BATCH;
                  case "append_timeout_ms" -> 30_000L;
                  case "durability" -> durability;
                  default -> method.getDefaultValue();
                });
  }

  private static org.osgi.framework.BundleContext profile(String mode) {
    return (org.osgi.framework.BundleContext)
        java.lang.reflect.Proxy.newProxyInstance(
            SqliteReceiptLogTest.class.getClassLoader(),
            new Class<?>[] {org.osgi.framework.BundleContext.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getProperty")
                  && "briefcase.profile.mode".equals(args[0])) {
                return mode;
              }
              if (method.getName().equals("getProperty")) {
                return null;
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  @Test
  public void defaultDurabilityCommitsEveryGroupWithFullSync() {
    log.close();
    PragmaRecordingStore recording = new PragmaRecordingStore(store);
    log = new SqliteReceiptLog(recording, config(""), profile("ga"));
    log.append(event("allow", 1));
    log.append(event("allow", 2));
    assertEquals(List.of(2, 2), recording.synchronous); // FULL
  }

  @Test
  public void processDurabilityTakesEffectOnTheReceiptCommits() {
    log.close();
    PragmaRecordingStore recording = new PragmaRecordingStore(store);
    log = new SqliteReceiptLog(recording, config("process"), profile("reference"));
    Receipt r1 = log.append(event("allow", 1));
    log.append(event("allow", 2));
    assertEquals(List.of(1, 1), recording.synchronous); // NORMAL
    // other owners' writes keep full durability
    assertEquals(
        2,
        (int)
            store.write(
                c -> {
                  try (Statement st = c.createStatement();
                      ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
                    rs.next();
                    return rs.getInt(1);
                  }
                }));
    assertEquals(r1.hashHex(), log.list(1, 1).get(0).hashHex());
    assertTrue(log.verify().ok());
  }

  @Test
  public void gaRefusesProcessDurabilityAndChangesNothing() {
    log.close();
    store.close();
    store = new SqliteStore(tmp.getRoot().toPath().resolve("fresh.db"));
    for (String ga : List.of("ga", " GA ", "Ga")) {
      ReceiptDurabilityRefused e =
          assertThrows(
              ReceiptDurabilityRefused.class,
              () -> new SqliteReceiptLog(store, config("process"), profile(ga)));
      assertEquals("receipt_durability_refused", e.code());
      assertEquals(ReceiptDurabilityRefused.CODE, e.code());
    }
    assertEquals("refused before the receipts table exists", 0, store.schemaVersion("receipts"));
    log = new SqliteReceiptLog(store, config("full"), profile("ga"));
    assertEquals(1, log.append(event("allow", 1)).id());
  }

  @Test
  public void unknownDurabilityIsRefusedInEveryProfile() {
    for (String value : List.of("none", "off", "fast", "process2")) {
      ReceiptDurabilityRefused e =
          assertThrows(
              ReceiptDurabilityRefused.class,
              () -> SqliteReceiptLog.durability(value, "reference"));
      assertEquals(ReceiptDurabilityRefused.CODE, e.code());
    }
    assertEquals(Durability.PROCESS, SqliteReceiptLog.durability(" Process ", "staging"));
    assertEquals(Durability.FULL, SqliteReceiptLog.durability(null, "ga"));
  }

  @Test
  public void failedTransactionFailsTheCallerAndTheChainDoesNotFork() {
    log.close();
    FaultyStore faulty = new FaultyStore(store);
    log = new SqliteReceiptLog(faulty, 512, 30_000);
    Receipt r1 = log.append(event("allow", 1));

    faulty.failBefore.set(1);
    ReceiptException e = assertThrows(ReceiptException.class, () -> log.append(event("x", 2)));
    assertEquals("receipt could not be written", e.getMessage());
    Receipt r2 = log.append(event("allow", 3));
    assertEquals("no gap after a failed batch", 2, r2.id());
    assertEquals(r1.hashHex(), r2.prevHashHex());

    // committed, but reported as failed: the head is reloaded, so the next link still fits
    faulty.failAfterCommit.set(1);
    assertThrows(ReceiptException.class, () -> log.append(event("allow", 4)));
    Receipt r4 = log.append(event("allow", 5));
    assertEquals(4, r4.id());
    VerifyResult result = log.verify();
    assertTrue(result.toString(), result.ok());
    assertEquals(4, result.count());
  }

  @Test
  public void slowStoreTimesOutTheCaller() {
    log.close();
    FaultyStore faulty = new FaultyStore(store);
    log = new SqliteReceiptLog(faulty, 512, 200);
    CountDownLatch release = new CountDownLatch(1);
    faulty.block = release;
    try {
      ReceiptException e = assertThrows(ReceiptException.class, () -> log.append(event("a", 1)));
      assertEquals("receipt append timed out", e.getMessage());
    } finally {
      faulty.block = null;
      release.countDown();
    }
    assertTrue(log.append(event("allow", 2)).id() >= 1);
    assertTrue(log.verify().ok());
  }
}
