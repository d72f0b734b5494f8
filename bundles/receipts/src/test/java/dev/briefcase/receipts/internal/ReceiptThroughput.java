package dev.briefcase.receipts.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.store.internal.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A rough throughput check of group commit, not a test: {@code ReceiptThroughput [threads] [appends
 * per thread]}. Prints appends per second and verifies the chain afterwards.
 */
public final class ReceiptThroughput {

  private ReceiptThroughput() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int perThread = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    Path dir = Files.createTempDirectory("briefcase-throughput");
    ObjectMapper mapper = new ObjectMapper();
    SqliteStore store = new SqliteStore(dir.resolve("briefcase.db"));
    SqliteReceiptLog log = new SqliteReceiptLog(store, 512, 30_000);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    ObjectNode e = mapper.createObjectNode();
                    e.put("type", "tool_call");
                    e.put("tool_id", "bench.noop");
                    e.put("decision", "allow");
                    e.put("ts", Instant.now().toString());
                    log.append(e);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      int total = threads * perThread;
      System.out.printf(
          "%d appends from %d threads in %.2f s: %.0f appends/s%n",
          total, threads, seconds, total / seconds);
      System.out.println("verify: " + log.verify());
    } finally {
      pool.shutdown();
      log.close();
      store.close();
    }
  }
}
