package dev.briefcase.receipts.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs checkpoints of the receipt chain (SPEC §6 Δ) with the {@code identity} key through the
 * {@link KeyDirectory}, so hardware keys work: every {@code every} receipts, and at least every
 * {@code interval_seconds} while new receipts exist, it signs the chain head and appends a {@link
 * Checkpoint} receipt.
 *
 * <p>It runs on its own thread, never inside an append: appends only ever wait for their own group
 * commit. Receipts that commit while it signs come between the signed head and the checkpoint
 * receipt; the next checkpoint covers them. When the key directory is missing or refuses (e.g.
 * {@code backend_unavailable}, {@code software_keys_refused}), receipts keep being written, the
 * failure is logged at WARN and the checkpoint is retried after {@code retry_seconds}, then less
 * often while the same failure persists. It signs nothing while the receipt its last checkpoint
 * covered no longer has the signed hash, or that checkpoint's signature does not verify with the
 * identity key ({@code chain_rewritten}), nor over a stretch of more than {@link Checkpoint#bound}
 * receipts since the last verified checkpoint ({@code checkpoint_gap}): a rewritten chain, or one
 * whose checkpoints were deleted, stays detectable instead of being vouched for. Both refusals last
 * until a restart. The receipt log wakes it as soon as {@code every} receipts are uncovered, so
 * honest stretches stay within the bound under load.
 */
@Component(
    service = {},
    immediate = true,
    configurationPid = ReceiptCheckpointer.PID)
@Designate(ocd = ReceiptCheckpointer.Config.class)
public final class ReceiptCheckpointer {

  /** The configuration PID. */
  public static final String PID = "dev.briefcase.receipts.checkpoints";

  /** Default for {@code every}. */
  public static final int DEFAULT_EVERY = Checkpoint.DEFAULT_EVERY;

  /** Default for {@code interval_seconds}. */
  public static final int DEFAULT_INTERVAL_SECONDS = 60;

  /** Default for {@code retry_seconds}. */
  public static final int DEFAULT_RETRY_SECONDS = 10;

  private static final Logger LOG = LoggerFactory.getLogger(ReceiptCheckpointer.class);
  private static final long POLL_MS = 250;
  private static final long MAX_BACKOFF_MS = 300_000;
  // checkpoints an export signs at most while receipts keep landing under it
  private static final int COVER_ATTEMPTS = 3;
  // how far back activation looks for the last checkpoint; without one, the next is due at once
  private static final int SCAN_PAGES = 4;

  /** Configuration of the checkpointer. */
  @ObjectClassDefinition(
      name = "Briefcase receipt checkpoints",
      description = "Signed checkpoints of the receipt chain with the identity key (SPEC 6).")
  public @interface Config {
    @AttributeDefinition(
        name = "Every N receipts",
        description =
            "Sign a checkpoint once this many receipts are not yet covered (1 to 100000).",
        min = "1",
        max = "100000")
    int every() default DEFAULT_EVERY;

    @AttributeDefinition(
        name = "Interval (s)",
        description = "Sign at least this often while uncovered receipts exist (1 to 86400).",
        min = "1",
        max = "86400")
    int interval_seconds() default DEFAULT_INTERVAL_SECONDS;

    @AttributeDefinition(
        name = "Retry (s)",
        description = "Wait this long after the signer failed before trying again (1 to 3600).",
        min = "1",
        max = "3600")
    int retry_seconds() default DEFAULT_RETRY_SECONDS;
  }

  /** The head of the chain as the checkpointer last saw it. */
  record Head(long id, String hashHex) {}

  private final ReceiptLog log;
  private final Supplier<KeyDirectory> directory;
  private final int every;
  private final long bound;
  private final long intervalMs;
  private final long retryMs;
  private final Object wake = new Object();
  private final Thread thread;
  private volatile boolean stopped;
  private volatile KeyDirectory keys;
  // set by the checkpointer; reset when a key directory arrives, so it is tried at once
  private volatile long nextAttemptAt;

  // guarded by this: tick() on the checkpointer thread (or tests), coverHead() on an exporting one
  private long signedSeq;
  private String signedHashHex;
  private long checkpointsAfterSigned;
  // the interval counts from the first look, or from the last checkpoint signed here
  private long lastCheckpointAt = Long.MIN_VALUE;
  private String failing;
  private long backoffMs;
  // the last checkpoint found at start, its signature not yet checked (needs the key directory)
  private Checkpoint.Fields unverified;
  // a refusal that lasts until restart: chain_rewritten or checkpoint_gap
  private String refused;
  // receipts found at start after the last checkpoint: written by an earlier process, so only a
  // checkpoint vouches for them; receipts this process appends itself it has witnessed
  private long inheritedUncovered;
  // the head id at which the append path should wake the thread (read by committing threads)
  private volatile long dueAt = 1;

  /** Activates on the receipt log with the component configuration. */
  @Activate
  public ReceiptCheckpointer(@Reference(name = "log") ReceiptLog log, Config config) {
    this(
        log,
        null,
        config.every(),
        config.interval_seconds() * 1000L,
        config.retry_seconds() * 1000L);
    thread.start();
    LOG.info(
        "receipt checkpoints every {} receipts or {} s, signed with the {} key",
        every,
        intervalMs / 1000,
        KeyDirectory.IDENTITY);
  }

  /**
   * A checkpointer whose thread is not started; tests drive it with {@link #tick}.
   *
   * @param directory the key directory to use, or null for the bound service
   */
  ReceiptCheckpointer(
      ReceiptLog log, Supplier<KeyDirectory> directory, int every, long intervalMs, long retryMs) {
    this.log = Objects.requireNonNull(log, "log");
    this.directory = directory != null ? directory : () -> keys;
    this.every = Math.max(1, every);
    this.bound = Checkpoint.bound(this.every);
    this.intervalMs = Math.max(1, intervalMs);
    this.retryMs = Math.max(1, retryMs);
    this.thread = new Thread(this::run, "briefcase-receipts-checkpointer");
    thread.setDaemon(true);
    findLastCheckpoint();
    List<Receipt> headAtStart = log.list(1, 0);
    inheritedUncovered =
        headAtStart.isEmpty() ? 0 : headAtStart.get(0).id() - signedSeq - checkpointsAfterSigned;
    dueAt = signedSeq + checkpointsAfterSigned + this.every;
    if (log instanceof SqliteReceiptLog sqlite) {
      sqlite.onCommit(this::committed);
      sqlite.beforeExport(this::coverHead);
    }
  }

  // called by the receipt log's committer after each group commit: never blocks
  private void committed(long headId) {
    if (headId >= dueAt) {
      synchronized (wake) {
        wake.notifyAll();
      }
    }
  }

  @Reference(
      name = "keys",
      cardinality = ReferenceCardinality.OPTIONAL,
      policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY)
  void bindKeys(KeyDirectory directory) {
    keys = directory;
    nextAttemptAt = 0;
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  void unbindKeys(KeyDirectory directory) {
    if (keys == directory) {
      keys = null;
    }
  }

  private void findLastCheckpoint() {
    try {
      long seen = 0;
      for (int page = 0; page < SCAN_PAGES; page++) {
        List<Receipt> rows =
            log.list(SqliteReceiptLog.MAX_LIST, (long) page * SqliteReceiptLog.MAX_LIST);
        for (Receipt r : rows) {
          if (Checkpoint.isCheckpoint(r.event())) {
            seen++;
            try {
              Checkpoint.Fields f = Checkpoint.fields(r.event());
              signedSeq = f.seq();
              signedHashHex = f.headHashHex();
              checkpointsAfterSigned = seen;
              unverified = f;
              return;
            } catch (IllegalArgumentException e) {
              // not one of ours; keep looking
            }
          }
        }
        if (rows.size() < SqliteReceiptLog.MAX_LIST) {
          return;
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot read the last receipt checkpoint: {}", e.toString());
    }
  }

  private void run() {
    while (!stopped) {
      try {
        tick(System.currentTimeMillis());
      } catch (RuntimeException e) {
        LOG.warn("receipt checkpoint failed: {}", e.toString());
        nextAttemptAt = System.currentTimeMillis() + retryMs;
      }
      synchronized (wake) {
        if (stopped) {
          return;
        }
        try {
          wake.wait(POLL_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /**
   * One look at the chain: signs and appends a checkpoint when one is due.
   *
   * @return the checkpoint receipt, or null when none was due or signing failed
   */
  synchronized Receipt tick(long now) {
    if (lastCheckpointAt == Long.MIN_VALUE) {
      lastCheckpointAt = now;
    }
    if (now < nextAttemptAt) {
      return null;
    }
    List<Receipt> newest = log.list(1, 0);
    if (newest.isEmpty()) {
      return null;
    }
    Receipt head = newest.get(0);
    long uncovered = head.id() - signedSeq - checkpointsAfterSigned;
    if (uncovered < 1 || (uncovered < every && now - lastCheckpointAt < intervalMs)) {
      return null;
    }
    return checkpoint(new Head(head.id(), head.hashHex()), now);
  }

  /**
   * Covers the head before an export (the receipt log asks on the exporting thread), so a fresh
   * export has no unsigned tail: signs a checkpoint over the head unless the head already is the
   * checkpoint covering everything before it, and again if receipts landed between reading the head
   * and appending the checkpoint. The same refusals as the cadence apply: over a rewritten chain or
   * a stretch found unsigned at start nothing is signed, and the export shows the tail.
   *
   * @return the id of the checkpoint receipt that covers every receipt before it, or 0 when none
   *     could be signed (no signer, a refusal)
   */
  synchronized long coverHead() {
    long covered = 0;
    for (int attempt = 0; attempt < COVER_ATTEMPTS; attempt++) {
      List<Receipt> newest = log.list(1, 0);
      if (newest.isEmpty() || refused != null) {
        return covered;
      }
      Receipt head = newest.get(0);
      if (head.id() - signedSeq - checkpointsAfterSigned < 1) {
        return Checkpoint.isCheckpoint(head.event()) ? head.id() : covered;
      }
      long now = System.currentTimeMillis();
      if (lastCheckpointAt == Long.MIN_VALUE) {
        lastCheckpointAt = now;
      }
      Receipt written = checkpoint(new Head(head.id(), head.hashHex()), now);
      if (written == null) {
        return covered;
      }
      covered = written.id();
    }
    // receipts kept arriving: the export ends at the last checkpoint, the few between its head and
    // itself are reported as a tail
    return covered;
  }

  /** Signs and appends a checkpoint over {@code current} unless a refusal stands or starts. */
  private Receipt checkpoint(Head current, long now) {
    if (refused != null) {
      return null;
    }
    if (rewritten(current)) {
      refuse(
          current,
          "chain_rewritten",
          "receipt " + signedSeq + " no longer has the hash its checkpoint signed");
      return null;
    }
    // A stretch this process appended itself (a signer outage while it ran) is signed: it saw every
    // one of those receipts committed, and the offline verifier still reports the stretch. A
    // stretch it found at start is another matter: the checkpoints that covered it may have been
    // deleted and the chain rebuilt, and a checkpoint now would vouch for the rebuild.
    if (inheritedUncovered > bound) {
      refuse(
          current,
          "checkpoint_gap",
          inheritedUncovered
              + " receipts found at start after "
              + (signedSeq < 1 ? "the start" : "seq " + signedSeq)
              + " have no verified checkpoint, more than "
              + bound
              + " (a checkpoint now would vouch for what nothing signed; offline verification"
              + " reports the stretch)");
      return null;
    }
    return sign(current, now);
  }

  private void refuse(Head head, String code, String message) {
    refused = code;
    LOG.warn(
        "receipt checkpoint over seq {} not signed ({}: {}); receipts are still written, no"
            + " checkpoint is signed until a restart",
        head.id(),
        code,
        message);
  }

  /** The refusal that lasts until restart ({@code chain_rewritten}, {@code checkpoint_gap}). */
  synchronized String refused() {
    return refused;
  }

  // Never sign on top of a chain changed under the last checkpoint: that would vouch for the edit.
  private boolean rewritten(Head head) {
    if (signedSeq < 1 || signedHashHex == null || head.id() < signedSeq) {
      return signedSeq > head.id();
    }
    List<Receipt> at = log.list(1, head.id() - signedSeq);
    return at.isEmpty()
        || at.get(0).id() != signedSeq
        || !signedHashHex.equals(at.get(0).hashHex());
  }

  private Receipt sign(Head head, long now) {
    KeyDirectory kd = directory.get();
    if (kd == null) {
      failed(head, KeyException.BACKEND_UNAVAILABLE, "no key directory is available", now);
      return null;
    }
    Checkpoint.Fields signed;
    try {
      KeyInfo key = kd.ensure(KeyDirectory.IDENTITY);
      if (unverified != null) {
        Checkpoint.Fields last = unverified;
        if (last.kid().equals(key.thumbprint())) {
          if (!Checkpoint.signatureValid(last, Checkpoint.verificationKey(key.publicJwk()))) {
            refuse(
                head,
                "chain_rewritten",
                "the last checkpoint (over seq "
                    + last.seq()
                    + ") does not verify with the identity key");
            return null;
          }
        } else {
          // signed by a key the identity role had before a rotation: only the offline verifier,
          // given that key, can check it; a forged one fails there (checkpoint_unknown_key)
          LOG.info(
              "the last receipt checkpoint (over seq {}) is signed by key {}, not the current"
                  + " identity key; offline verification needs that key",
              last.seq(),
              last.kid());
        }
        unverified = null;
      }
      String alg = Checkpoint.jwsAlg(key.handle().algorithm().name());
      Checkpoint.Fields unsigned =
          new Checkpoint.Fields(
              head.id(), head.hashHex(), head.id(), key.thumbprint(), alg, "", every);
      byte[] signature = kd.sign(KeyDirectory.IDENTITY, Checkpoint.statementBytes(unsigned));
      signed =
          new Checkpoint.Fields(
              head.id(),
              head.hashHex(),
              head.id(),
              key.thumbprint(),
              alg,
              Base64.getUrlEncoder().withoutPadding().encodeToString(signature),
              every);
      // a rotation between reading the key and signing, or a faulty signer, must not leave a
      // checkpoint nobody can verify
      if (!Checkpoint.signatureValid(signed, Checkpoint.verificationKey(key.publicJwk()))) {
        failed(
            head, "signature_invalid", "the signature does not verify with the identity key", now);
        return null;
      }
    } catch (KeyException e) {
      failed(head, e.code(), e.getMessage(), now);
      return null;
    } catch (IllegalArgumentException e) {
      failed(head, KeyException.UNSUPPORTED_ALGORITHM, e.getMessage(), now);
      return null;
    }
    ObjectNode event = Checkpoint.event(Instant.now().toString(), signed);
    Receipt written;
    try {
      written = log.append(event);
    } catch (ReceiptException e) {
      failed(head, ReceiptException.RECEIPT_FAILED, e.getMessage(), now);
      return null;
    }
    signedSeq = head.id();
    signedHashHex = head.hashHex();
    checkpointsAfterSigned = 1;
    inheritedUncovered = 0;
    dueAt = signedSeq + checkpointsAfterSigned + every;
    lastCheckpointAt = now;
    if (failing != null) {
      LOG.info(
          "receipt checkpoints signed again (receipt {} over seq {})", written.id(), head.id());
      failing = null;
    } else {
      LOG.debug("receipt checkpoint {} over seq {}", written.id(), head.id());
    }
    return written;
  }

  private void failed(Head head, String code, String message, long now) {
    // the same failure again: back off (doubling up to MAX_BACKOFF_MS), so a kernel without a
    // usable signer does not retry every few seconds forever; a new key directory wakes it early
    backoffMs = code.equals(failing) ? Math.min(MAX_BACKOFF_MS, backoffMs * 2) : retryMs;
    backoffMs = Math.max(backoffMs, retryMs);
    nextAttemptAt = now + backoffMs;
    if (!code.equals(failing)) {
      LOG.warn(
          "receipt checkpoint over seq {} not signed ({}: {}); receipts are still written, retrying"
              + " in {} s, then less often",
          head.id(),
          code,
          message,
          retryMs / 1000);
    } else {
      LOG.debug("receipt checkpoint over seq {} still not signed ({})", head.id(), code);
    }
    failing = code;
  }

  /** Stops the thread; a checkpoint being signed is finished or abandoned. */
  @Deactivate
  public void close() {
    stopped = true;
    if (log instanceof SqliteReceiptLog sqlite) {
      sqlite.onCommit(null);
      sqlite.beforeExport(null);
    }
    synchronized (wake) {
      wake.notifyAll();
    }
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
