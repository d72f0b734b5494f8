package dev.briefcase.itests.distribution;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.Test;

/**
 * kill -9 the runtime while it appends receipts, 10 times over one data directory: every receipt a
 * caller saw acknowledged must be on disk afterwards, and the whole chain must verify. Each trial
 * pulls the plug only once calls are being acknowledged, so every trial crashes mid-load (a kill
 * before the first answer proves nothing and only costs a start).
 */
public class CrashIT {
  static final int TRIALS = 10;
  static final int CALLERS = 4;

  @Test
  public void acknowledgedReceiptsSurviveKillNine() throws Exception {
    Path data = Files.createTempDirectory("briefcase-crash");
    Random random = new Random(42);
    for (int trial = 1; trial <= TRIALS; trial++) {
      Distribution d = new Distribution(data).start();
      Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        Thread t =
            new Thread(
                () -> {
                  while (running.get()) {
                    try {
                      Distribution.Answer a =
                          d.post(
                              "/v1/tools/call",
                              "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"crash\"}}}");
                      if (a.status() == 200) {
                        JsonNode r = a.json();
                        if ("ok".equals(r.path("status").asText())) {
                          acknowledged.add(
                              r.path("result").path("provenance").path("receipt_id").asLong());
                        }
                      }
                    } catch (Exception e) {
                      return; // the runtime died under us: expected
                    }
                  }
                });
        t.start();
        callers.add(t);
      }
      waitFor(() -> !acknowledged.isEmpty(), "the first acknowledged call", Duration.ofSeconds(30));
      // the scenario, not a wait: let the load run for a random moment, then pull the plug
      Thread.sleep(random.nextInt(400));
      d.kill9();
      running.set(false);
      for (Thread t : callers) {
        t.join(30_000);
      }
      OfflineChain.Result chain = OfflineChain.verify(data.resolve("briefcase.db"));
      assertTrue("trial " + trial + ": chain broken at " + chain.firstBadId(), chain.ok());
      for (long id : acknowledged) {
        assertTrue(
            "trial " + trial + ": acknowledged receipt " + id + " lost", chain.ids().contains(id));
      }
      System.out.printf(
          "crash trial %d: %d acknowledged, %d receipts on disk, chain verifies%n",
          trial, acknowledged.size(), chain.count());
    }
    // and the runtime itself agrees after the last crash
    try (Distribution d = new Distribution(data).start()) {
      Distribution.Answer v = d.post("/v1/receipts/verify", "");
      assertEquals(v.body(), 200, v.status());
      assertTrue(v.json().get("ok").asBoolean());
    }
  }
}
