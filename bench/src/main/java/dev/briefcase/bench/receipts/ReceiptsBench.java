package dev.briefcase.bench.receipts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.receipts.internal.ReceiptChain;
import dev.briefcase.receipts.internal.SqliteReceiptLog;
import dev.briefcase.store.Durability;
import dev.briefcase.store.internal.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Receipts alone: durable appends per second through the real {@link SqliteReceiptLog} on a {@link
 * SqliteStore} in a temporary directory (group commit, default durability unless {@code
 * --durability process}), with 1, 4 and 8 concurrent appenders, and chain verifications per second
 * ({@link SqliteReceiptLog#verify()} over every row the run wrote: read, re-canonicalize, hash).
 * Each appender is a closed loop appending an event shaped like the pipeline's {@code tool_call}
 * receipt. Rounds alternate the thread counts; the table shows each round and the median. Nothing
 * is asserted.
 *
 * <p>Options: {@code --threads 1,4,8}, {@code --warmup S} (2, before the first round), {@code
 * --measure S} (5), {@code --rounds N} (3), {@code --durability full|process} ({@code full}, the
 * default of the log), {@code --dir DIR} (a temporary directory under it; the default temp dir
 * otherwise — it must be a real disk, not tmpfs, or syncs are free), {@code --verify-runs N} (3).
 */
public final class ReceiptsBench {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ReceiptsBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = options(args);
    int[] threads =
        Arrays.stream(opt.getOrDefault("threads", "1,4,8").split(","))
            .mapToInt(s -> Integer.parseInt(s.trim()))
            .toArray();
    double warmup = Double.parseDouble(opt.getOrDefault("warmup", "2"));
    double measure = Double.parseDouble(opt.getOrDefault("measure", "5"));
    int rounds = Integer.parseInt(opt.getOrDefault("rounds", "3"));
    int verifyRuns = Integer.parseInt(opt.getOrDefault("verify-runs", "3"));
    String durability = opt.getOrDefault("durability", "full");
    Path parent = opt.containsKey("dir") ? Path.of(opt.get("dir")) : null;
    Path dir =
        parent == null
            ? Files.createTempDirectory("briefcase-receiptsbench")
            : Files.createTempDirectory(parent, "briefcase-receiptsbench");

    System.out.printf(
        "receipts bench: durability %s, threads %s, %.0f s warm-up, %d round(s) of %.0f s,"
            + " dir %s, load average %s%n",
        durability, Arrays.toString(threads), warmup, rounds, measure, dir, loadAverage());
    double[] sync = syncFloor(dir, 200);
    System.out.printf(
        "  disk sync floor (4 KiB write + fdatasync, 200 times): p50 %.2f ms, p90 %.2f ms"
            + " -> one appender at most %,.0f durable appends/s%n",
        sync[0], sync[1], 1000 / sync[0]);
    SqliteStore store = new SqliteStore(dir.resolve("briefcase.db"));
    SqliteReceiptLog log = open(store, durability);
    Map<Integer, List<Double>> perThreads = new LinkedHashMap<>();
    try {
      appendFor(log, threads[threads.length - 1], warmup);
      for (int round = 0; round < rounds; round++) {
        // alternate the order so drift (other builds, WAL growth) does not favour one count
        int[] order = round % 2 == 0 ? threads : reversed(threads);
        for (int t : order) {
          double rate = appendFor(log, t, measure);
          perThreads.computeIfAbsent(t, k -> new ArrayList<>()).add(rate);
          System.out.printf("  round %d: %d appender(s) %,.0f appends/s%n", round + 1, t, rate);
        }
      }
      List<Double> verifyRates = new ArrayList<>();
      long count = 0;
      for (int i = 0; i < verifyRuns; i++) {
        long start = System.nanoTime();
        VerifyResult result = log.verify();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!result.ok()) {
          throw new IllegalStateException("chain does not verify: " + result);
        }
        count = result.count();
        verifyRates.add(count / seconds);
        System.out.printf(
            "  verify %d: %,d receipts in %.2f s, %,.0f receipts/s%n",
            i + 1, count, seconds, count / seconds);
      }
      int sample = (int) Math.min(count, 100_000);
      double linkRate = linksInMemory(sample, false);
      double canonicalLinkRate = linksInMemory(sample, true);

      System.out.printf("%nreceipts (durability %s), medians of %d rounds:%n", durability, rounds);
      System.out.printf("  %-28s %14s %22s%n", "measure", "median", "range");
      for (Map.Entry<Integer, List<Double>> e : perThreads.entrySet()) {
        List<Double> r = e.getValue();
        System.out.printf(
            "  %-28s %,14.0f %,10.0f – %,-10.0f%n",
            "appends/s, " + e.getKey() + " appender(s)", median(r), min(r), max(r));
      }
      System.out.printf(
          "  %-28s %,14.0f %,10.0f – %,-10.0f%n",
          "verify() receipts/s", median(verifyRates), min(verifyRates), max(verifyRates));
      System.out.printf("  %-28s %,14.0f%n", "links/s in memory, hash", linkRate);
      System.out.printf("  %-28s %,14.0f%n", "links/s in memory, JCS+hash", canonicalLinkRate);
      System.out.printf(
          "  %-28s %14.2f ms p50, %.2f ms p90%n", "disk sync floor", sync[0], sync[1]);
      System.out.printf("load average at end %s%n", loadAverage());
    } finally {
      log.close();
      store.close();
      deleteTree(dir);
    }
  }

  private static SqliteReceiptLog open(SqliteStore store, String durability) {
    return switch (durability) {
      case "full" -> new SqliteReceiptLog(store, SqliteReceiptLog.DEFAULT_MAX_BATCH, 30_000);
      case "process" ->
          new SqliteReceiptLog(
              store, SqliteReceiptLog.DEFAULT_MAX_BATCH, 30_000, Durability.PROCESS);
      default -> throw new IllegalArgumentException("--durability full|process");
    };
  }

  /** Closed-loop appends from {@code threads} threads for {@code seconds}; appends per second. */
  private static double appendFor(SqliteReceiptLog log, int threads, double seconds)
      throws InterruptedException {
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder done = new LongAdder();
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int worker = t;
      Thread th =
          new Thread(
              () -> {
                ready.countDown();
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                long n = 0;
                while (running.get()) {
                  log.append(event(worker, n++));
                  done.increment();
                }
              },
              "appender-" + t);
      th.start();
      workers.add(th);
    }
    ready.await();
    long start = System.nanoTime();
    go.countDown();
    Thread.sleep((long) (seconds * 1000));
    long count = done.sum();
    double elapsed = (System.nanoTime() - start) / 1e9;
    running.set(false);
    for (Thread th : workers) {
      th.join();
    }
    return count / elapsed;
  }

  /** An event shaped like the pipeline's tool_call receipt (about 400 bytes canonical). */
  static ObjectNode event(int worker, long n) {
    ObjectNode e = MAPPER.createObjectNode();
    e.put("type", "tool_call");
    e.put("tool_id", "builtin.echo");
    e.put("runtime", "java");
    e.put("decision", "allow");
    e.put("auth_method", "none");
    e.putArray("output_signals");
    e.putArray("output_domains");
    e.put("call_hash", "9f2c0c6d1b4e8a7f3e5d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19");
    e.put("request_id", "req-" + worker + "-" + n);
    e.put("surface", "mcp");
    e.put("agent_id", "bench-agent");
    e.put("session_id", "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    e.put("ts", Instant.now().toString());
    return e;
  }

  /**
   * Chain links checked per second without the database: the prev link and SHA-256, and with {@code
   * canonical} also the re-canonicalization of the stored text that {@code verify()} does.
   */
  private static double linksInMemory(long n, boolean canonical) {
    int size = (int) Math.max(1, n);
    String[] texts = new String[size];
    String[] hashes = new String[size];
    String prev = ReceiptChain.GENESIS_HASH_HEX;
    for (int i = 0; i < size; i++) {
      texts[i] = ReceiptChain.canonicalize(event(0, i));
      prev = ReceiptChain.hashHex(prev, texts[i]);
      hashes[i] = prev;
    }
    double best = 0;
    for (int run = 0; run < 3; run++) {
      long start = System.nanoTime();
      String p = ReceiptChain.GENESIS_HASH_HEX;
      for (int i = 0; i < size; i++) {
        if (canonical && !ReceiptChain.canonicalJson(texts[i]).equals(texts[i])) {
          throw new IllegalStateException("link " + i + " is not canonical");
        }
        if (!ReceiptChain.hashHex(p, texts[i]).equals(hashes[i])) {
          throw new IllegalStateException("link " + i + " does not hold");
        }
        p = hashes[i];
      }
      best = Math.max(best, size / ((System.nanoTime() - start) / 1e9));
    }
    return best;
  }

  /** p50 and p90 in ms of a 4 KiB write plus fdatasync in {@code dir}: what one sync costs. */
  private static double[] syncFloor(Path dir, int times) throws java.io.IOException {
    Path file = dir.resolve("sync-probe");
    double[] ms = new double[times];
    java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(4096);
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(
            file,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.WRITE)) {
      for (int i = 0; i < times; i++) {
        block.clear();
        long start = System.nanoTime();
        ch.write(block, (long) (i % 16) * 4096);
        ch.force(false);
        ms[i] = (System.nanoTime() - start) / 1e6;
      }
    } finally {
      Files.deleteIfExists(file);
    }
    Arrays.sort(ms);
    return new double[] {ms[times / 2], ms[times * 9 / 10]};
  }

  private static int[] reversed(int[] a) {
    int[] r = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[a.length - 1 - i];
    }
    return r;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double min(List<Double> values) {
    return values.stream().min(Double::compare).orElse(0.0);
  }

  private static double max(List<Double> values) {
    return values.stream().max(Double::compare).orElse(0.0);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> opt = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
      String key = args[i].substring(2);
      opt.put(key, i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true");
    }
    return opt;
  }
}
