package dev.briefcase.receipts.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.store.Durability;
import dev.briefcase.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ReceiptLog} on the kernel {@link Store}, table {@code receipts} (owner {@code
 * receipts}).
 *
 * <p>Group commit: callers canonicalize their event in their own thread and queue it; one committer
 * thread takes everything queued (up to {@code max_batch}), chains the batch in queue order from
 * the in-memory head and writes it in one transaction. Each caller returns once that transaction
 * committed, or gets a {@link ReceiptException} when it failed (the head is then reloaded from the
 * database) or did not finish within {@code append_timeout_ms}. A timed-out append that the
 * committer had already taken may still be written; the caller has failed closed either way.
 *
 * <p>Durability ({@code durability}): {@code full} (the default) syncs every group to the disk
 * before its appends return, so an acknowledged receipt survives a power loss; {@code process}
 * hands the group to the operating system without waiting for a sync, so it survives a crash of the
 * process but not of the machine. The {@code ga} profile refuses {@code process}: activation fails
 * with {@value ReceiptDurabilityRefused#CODE}.
 *
 * <p>The committer refuses to extend a chain whose last row no longer matches the in-memory head
 * (rows changed outside the log): that batch fails and the error is logged. After {@link #close()}
 * every call throws {@code ReceiptException("receipt log closed")}.
 */
@Component(service = ReceiptLog.class, configurationPid = SqliteReceiptLog.PID)
@Designate(ocd = SqliteReceiptLog.Config.class)
public final class SqliteReceiptLog implements ReceiptLog {

  /** The configuration PID. */
  public static final String PID = "dev.briefcase.receipts";

  /** The owner name passed to {@link Store#migrate}. */
  public static final String OWNER = "receipts";

  /** Default for {@code max_batch}. */
  public static final int DEFAULT_MAX_BATCH = 512;

  /** Default for {@code append_timeout_ms}. */
  public static final long DEFAULT_APPEND_TIMEOUT_MS = 30_000;

  /** The most receipts {@link #list} returns. */
  public static final int MAX_LIST = 500;

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE receipts (id INTEGER PRIMARY KEY, ts TEXT NOT NULL,"
              + " prev_hash_hex TEXT NOT NULL, hash_hex TEXT NOT NULL, event_json TEXT NOT NULL)");

  private static final Logger LOG = LoggerFactory.getLogger(SqliteReceiptLog.class);
  private static final String INSERT =
      "INSERT INTO receipts (id, ts, prev_hash_hex, hash_hex, event_json) VALUES (?, ?, ?, ?, ?)";
  private static final String LAST = "SELECT id, hash_hex FROM receipts ORDER BY id DESC LIMIT 1";

  /** The {@code durability} value of the default, power-loss-safe mode. */
  public static final String DURABILITY_FULL = "full";

  /** The {@code durability} value of the mode safe against a crash of the process only. */
  public static final String DURABILITY_PROCESS = "process";

  /** Configuration of the receipt log. */
  @ObjectClassDefinition(
      name = "Briefcase receipts",
      description = "The hash-chained receipt log (SPEC section 6) with group commit.")
  public @interface Config {
    @AttributeDefinition(
        name = "Maximum batch",
        description = "The most queued appends one database transaction commits (1 to 10000).",
        min = "1",
        max = "10000")
    int max_batch() default DEFAULT_MAX_BATCH;

    @AttributeDefinition(
        name = "Append timeout (ms)",
        description =
            "How long an append waits for its receipt to be durable before it fails closed.",
        min = "1")
    long append_timeout_ms() default DEFAULT_APPEND_TIMEOUT_MS;

    @AttributeDefinition(
        name = "Durability",
        description =
            "full: an append returns once its receipt is synced to the disk (survives a power"
                + " loss). process: once the operating system has it (survives a crash of the"
                + " process, not of the machine); refused in the ga profile.",
        options = {
          @Option(label = "full (power loss)", value = DURABILITY_FULL),
          @Option(label = "process (process crash only)", value = DURABILITY_PROCESS)
        })
    String durability() default DURABILITY_FULL;
  }

  private record Head(long id, String hashHex) {}

  /** One queued append; {@code state} decides between the committer and a caller giving up. */
  private static final class Pending {
    private static final int QUEUED = 0;
    private static final int TAKEN = 1;
    private static final int ABANDONED = 2;

    final ObjectNode event;
    final String canonical;
    final CompletableFuture<Receipt> done = new CompletableFuture<>();
    final AtomicInteger state = new AtomicInteger(QUEUED);

    Pending(ObjectNode event, String canonical) {
      this.event = event;
      this.canonical = canonical;
    }

    boolean take() {
      return state.compareAndSet(QUEUED, TAKEN);
    }

    void abandon() {
      state.compareAndSet(QUEUED, ABANDONED);
    }
  }

  /** The database's last row is not the head this log wrote. */
  private static final class HeadMovedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HeadMovedException() {
      super("receipt chain head changed outside the log", null, false, false);
    }
  }

  private final Store store;
  private final int maxBatch;
  private final long appendTimeoutMs;
  private final Durability durability;
  private final ObjectMapper mapper = new ObjectMapper();
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  // marks the end of the queue on close; nothing is queued after it
  private final Pending stop = new Pending(null, null);
  // appends hold the read side while queueing, close() the write side while queueing stop
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final Thread committer;
  private volatile boolean closed;
  private volatile Head head;
  private volatile java.util.function.LongConsumer commitListener;
  private volatile java.util.function.LongSupplier exportCheckpoint;
  // committer thread only
  private boolean headStale;
  private final AppendStatements statements = new AppendStatements(INSERT, LAST);

  /**
   * Activates on the kernel store with the component configuration.
   *
   * @throws ReceiptDurabilityRefused when {@code durability} is {@code process} in the {@code ga}
   *     profile, or names no mode
   */
  @Activate
  public SqliteReceiptLog(
      @Reference(name = "store") Store store, Config config, BundleContext context) {
    this(
        store,
        config.max_batch(),
        config.append_timeout_ms(),
        durability(config.durability(), context.getProperty(ProfileMode.PROPERTY)));
  }

  /**
   * The durability a configured value asks for in a profile.
   *
   * @throws ReceiptDurabilityRefused for {@code process} in {@code ga}, and for an unknown value (a
   *     typo must not silently pick a mode)
   */
  static Durability durability(String configured, String profileMode) {
    String value = configured == null ? "" : configured.strip();
    if (value.isEmpty() || value.equalsIgnoreCase(DURABILITY_FULL)) {
      return Durability.FULL;
    }
    if (!value.equalsIgnoreCase(DURABILITY_PROCESS)) {
      throw new ReceiptDurabilityRefused("receipt durability must be full or process");
    }
    if (ProfileMode.isStrict(profileMode)) {
      throw new ReceiptDurabilityRefused(
          "receipt durability process is refused in the ga profile: receipts must survive a"
              + " power loss");
    }
    return Durability.PROCESS;
  }

  /**
   * Opens the log on {@code store}: migrates the {@code receipts} table, loads the head and starts
   * the committer thread.
   */
  public SqliteReceiptLog(Store store, int maxBatch, long appendTimeoutMs) {
    this(store, maxBatch, appendTimeoutMs, Durability.FULL);
  }

  /**
   * Opens the log on {@code store} with the given durability: migrates the {@code receipts} table,
   * loads the head and starts the committer thread.
   */
  public SqliteReceiptLog(Store store, int maxBatch, long appendTimeoutMs, Durability durability) {
    this.store = Objects.requireNonNull(store, "store");
    this.durability = Objects.requireNonNull(durability, "durability");
    this.maxBatch = Math.min(10_000, Math.max(1, maxBatch));
    this.appendTimeoutMs = appendTimeoutMs > 0 ? appendTimeoutMs : DEFAULT_APPEND_TIMEOUT_MS;
    store.migrate(OWNER, MIGRATIONS);
    this.head = loadHead();
    this.committer = new Thread(this::commitLoop, "briefcase-receipts-committer");
    committer.setDaemon(true);
    committer.start();
    if (durability == Durability.PROCESS) {
      LOG.warn(
          "receipt durability is process: acknowledged receipts survive a crash of the process,"
              + " not a power loss or a crash of the machine");
    }
    LOG.info(
        "receipt log ready at id {} (max batch {}, durability {})",
        head.id(),
        this.maxBatch,
        durability == Durability.PROCESS ? DURABILITY_PROCESS : DURABILITY_FULL);
  }

  /**
   * Sets the one listener told the new head id after each group commit, on the committing thread
   * (the checkpointer's wake-up); it must not block. Null removes it.
   */
  public void onCommit(java.util.function.LongConsumer listener) {
    commitListener = listener;
  }

  /**
   * Sets the one hook asked, before an export, to checkpoint the head (the checkpointer); it
   * returns the id of the checkpoint receipt that covers every receipt before it, or 0 when it
   * could not sign one. The export then ends at that checkpoint, so it carries no unsigned tail.
   * Null removes it.
   */
  public void beforeExport(java.util.function.LongSupplier hook) {
    exportCheckpoint = hook;
  }

  @Override
  public Receipt append(ObjectNode event) {
    Objects.requireNonNull(event, "event");
    JsonNode ts = event.get("ts");
    if (ts == null || !ts.isTextual() || ts.textValue().isBlank()) {
      throw new IllegalArgumentException("event must carry its own ts");
    }
    ObjectNode copy = event.deepCopy();
    // canonicalized here, in parallel across callers, and rejected before touching the database
    Pending pending = new Pending(copy, ReceiptChain.canonicalize(copy));
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw closedException();
      }
      queue.add(pending);
    } finally {
      lifecycle.readLock().unlock();
    }
    try {
      return pending.done.get(appendTimeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pending.abandon();
      throw new ReceiptException("receipt append timed out", e);
    } catch (InterruptedException e) {
      pending.abandon();
      Thread.currentThread().interrupt();
      throw new ReceiptException("interrupted while waiting for the receipt", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new ReceiptException(
          cause instanceof ReceiptException ? cause.getMessage() : "receipt could not be written",
          cause);
    }
  }

  private void commitLoop() {
    List<Pending> batch = new ArrayList<>();
    boolean stopping = false;
    while (!stopping) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        // only close() interrupts, and only when draining took too long
        break;
      }
      queue.drainTo(batch, maxBatch - 1);
      List<Pending> live = new ArrayList<>(batch.size());
      for (Pending p : batch) {
        if (p == stop) {
          stopping = true;
        } else if (p.take()) {
          live.add(p);
        }
      }
      batch.clear();
      if (!live.isEmpty()) {
        commit(live);
      }
    }
    statements.close();
  }

  private void commit(List<Pending> batch) {
    Head start = null;
    try {
      if (headStale) {
        head = loadHead();
        headStale = false;
      }
      start = head;
      Instant now = Instant.now();
      List<Receipt> receipts = new ArrayList<>(batch.size());
      long id = start.id();
      String prev = start.hashHex();
      for (Pending p : batch) {
        id++;
        String hash = ReceiptChain.hashHex(prev, p.canonical);
        receipts.add(new Receipt(id, now, prev, hash, p.event));
        prev = hash;
      }
      Head expected = start;
      List<String> canonical = batch.stream().map(p -> p.canonical).toList();
      store.write(durability, c -> insert(c, expected, receipts, canonical));
      head = new Head(id, prev);
      LOG.debug("committed {} receipts up to id {}", receipts.size(), id);
      java.util.function.LongConsumer listener = commitListener;
      if (listener != null) {
        try {
          listener.accept(id);
        } catch (RuntimeException e) {
          LOG.debug("commit listener failed: {}", e.toString());
        }
      }
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).done.complete(receipts.get(i));
      }
    } catch (RuntimeException | Error e) {
      boolean moved = isHeadMoved(e);
      if (moved) {
        LOG.error(
            "receipt chain head changed outside the log (expected id {}); batch of {} refused",
            start == null ? -1 : start.id(),
            batch.size());
      } else {
        LOG.warn("receipt batch of {} failed: {}", batch.size(), e.toString());
      }
      ReceiptException failure =
          new ReceiptException(
              moved ? "receipt chain head changed outside the log" : "receipt could not be written",
              e);
      for (Pending p : batch) {
        p.done.completeExceptionally(failure);
      }
      // the next batch must chain onto what the database really holds, never onto a guess
      headStale = true;
      try {
        head = loadHead();
        headStale = false;
      } catch (RuntimeException reload) {
        LOG.warn("cannot reload the receipt head: {}", reload.toString());
      }
    }
  }

  private Void insert(Connection c, Head expected, List<Receipt> receipts, List<String> canonical)
      throws SQLException {
    statements.use(c);
    if (!readHead(statements.last()).equals(expected)) {
      throw new HeadMovedException();
    }
    PreparedStatement ps = statements.insert();
    // one timestamp per group: every receipt of a group carries the same commit time
    String ts = receipts.get(0).ts().toString();
    try {
      for (int i = 0; i < receipts.size(); i++) {
        Receipt r = receipts.get(i);
        ps.setLong(1, r.id());
        ps.setString(2, ts);
        ps.setString(3, r.prevHashHex());
        ps.setString(4, r.hashHex());
        ps.setString(5, canonical.get(i));
        ps.addBatch();
      }
      ps.executeBatch();
    } finally {
      ps.clearBatch();
    }
    return null;
  }

  private static boolean isHeadMoved(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HeadMovedException) {
        return true;
      }
    }
    return false;
  }

  private Head loadHead() {
    return store.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(LAST)) {
            return readHead(ps);
          }
        });
  }

  private static Head readHead(PreparedStatement last) throws SQLException {
    try (ResultSet rs = last.executeQuery()) {
      return rs.next()
          ? new Head(rs.getLong(1), rs.getString(2))
          : new Head(0, ReceiptChain.GENESIS_HASH_HEX);
    }
  }

  @Override
  public List<Receipt> list(int limit, long offset) {
    ensureOpen();
    int n = Math.max(1, Math.min(MAX_LIST, limit));
    long skip = Math.max(0, offset);
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, ts, prev_hash_hex, hash_hex, event_json FROM receipts"
                      + " ORDER BY id DESC LIMIT ? OFFSET ?")) {
            ps.setInt(1, n);
            ps.setLong(2, skip);
            List<Receipt> out = new ArrayList<>(n);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(toReceipt(rs));
              }
            }
            return out;
          }
        });
  }

  private Receipt toReceipt(ResultSet rs) throws SQLException {
    long id = rs.getLong(1);
    try {
      JsonNode event = mapper.readTree(rs.getString(5));
      if (!(event instanceof ObjectNode object)) {
        throw new ReceiptException("stored receipt " + id + " is not a JSON object", null);
      }
      return new Receipt(
          id, Instant.parse(rs.getString(2)), rs.getString(3), rs.getString(4), object);
    } catch (JsonProcessingException | DateTimeParseException e) {
      throw new ReceiptException("stored receipt " + id + " is unreadable", e);
    }
  }

  @Override
  public VerifyResult verify() {
    ensureOpen();
    // read before the snapshot starts, so every row it counts is inside the snapshot
    Head known = head;
    return store.read(
        c -> {
          long expectedId = 1;
          long count = 0;
          String prev = ReceiptChain.GENESIS_HASH_HEX;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, prev_hash_hex, hash_hex, event_json FROM receipts ORDER BY id")) {
            ps.setFetchSize(256);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                long id = rs.getLong(1);
                String storedPrev = rs.getString(2);
                String storedHash = rs.getString(3);
                if (id != expectedId || !prev.equals(storedPrev)) {
                  return new VerifyResult(false, count, prev, id, prev, "chain_broken");
                }
                if (!linkHolds(storedPrev, storedHash, rs.getString(4))) {
                  return new VerifyResult(false, count, prev, id, prev, "hash_mismatch");
                }
                prev = storedHash;
                expectedId = id + 1;
                count++;
              }
            }
          }
          if (known.id() >= expectedId) {
            // rows this log committed are gone from the end of the chain
            return new VerifyResult(false, count, prev, expectedId, prev, "chain_broken");
          }
          return new VerifyResult(true, count, prev, null, null, null);
        });
  }

  // The stored text must be canonical and hash, with the stored prev, to the stored hash.
  private static boolean linkHolds(String prevHashHex, String hashHex, String eventJson) {
    if (eventJson == null || !ReceiptChain.isHashHex(prevHashHex)) {
      return false;
    }
    String canonical;
    try {
      canonical = ReceiptChain.canonicalJson(eventJson);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return canonical.equals(eventJson)
        && ReceiptChain.hashHex(prevHashHex, canonical).equals(hashHex);
  }

  @Override
  public long export(long afterId, Writer out) throws IOException {
    ensureOpen();
    Objects.requireNonNull(out, "out");
    long after = Math.max(0, afterId);
    java.util.function.LongSupplier hook = exportCheckpoint;
    long covered = hook == null ? 0 : hook.getAsLong();
    long upTo = covered > 0 ? covered : Long.MAX_VALUE;
    try {
      return store.read(c -> exportRows(c, after, upTo, out));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private long exportRows(Connection c, long after, long upTo, Writer out) throws SQLException {
    String headHash = ReceiptChain.GENESIS_HASH_HEX;
    if (after > 0) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT hash_hex FROM receipts WHERE id <= ? ORDER BY id DESC LIMIT 1")) {
        ps.setLong(1, after);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            headHash = rs.getString(1);
          }
        }
      }
    }
    long count = 0;
    try (JsonGenerator g = mapper.getFactory().createGenerator(out);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, ts, prev_hash_hex, hash_hex, event_json FROM receipts"
                    + " WHERE id > ? AND id <= ? ORDER BY id")) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.setRootValueSeparator(null);
      ps.setLong(1, after);
      ps.setLong(2, upTo);
      ps.setFetchSize(256);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String hash = rs.getString(4);
          g.writeStartObject();
          g.writeNumberField("id", rs.getLong(1));
          g.writeStringField("ts", rs.getString(2));
          g.writeStringField("prev_hash_hex", rs.getString(3));
          g.writeStringField("hash_hex", hash);
          g.writeFieldName("event");
          // the stored canonical text, byte for byte, so a verifier hashes what was hashed
          g.writeRawValue(rs.getString(5));
          g.writeEndObject();
          g.writeRaw('\n');
          headHash = hash;
          count++;
        }
      }
      g.writeStartObject();
      g.writeStringField("head_hash_hex", headHash);
      g.writeNumberField("count", count);
      g.writeEndObject();
      g.writeRaw('\n');
      g.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return count;
  }

  private void ensureOpen() {
    if (closed) {
      throw closedException();
    }
  }

  private static ReceiptException closedException() {
    return new ReceiptException("receipt log closed", null);
  }

  /**
   * Commits everything already queued, then stops the committer; later calls throw {@code
   * ReceiptException("receipt log closed")}.
   */
  @Deactivate
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(stop);
    } finally {
      lifecycle.writeLock().unlock();
    }
    try {
      committer.join(appendTimeoutMs + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (committer.isAlive()) {
      LOG.warn("receipt committer did not stop in time; interrupting it");
      committer.interrupt();
    }
    for (Pending p = queue.poll(); p != null; p = queue.poll()) {
      if (p != stop) {
        p.done.completeExceptionally(closedException());
      }
    }
    LOG.info("receipt log closed at id {}", head.id());
  }
}
