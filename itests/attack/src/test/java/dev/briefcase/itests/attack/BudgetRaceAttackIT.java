package dev.briefcase.itests.attack;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * Issue item 5, SPEC §5 Δ (2026-12): the budget gate and the reservation are one step. N callers
 * racing a costed tool ({@code extra_paid}, 1000 µUSD, from the test connector dropped into {@code
 * deploy/}) against a daily limit that allows k calls: at most k run, the rest are asked for
 * approval with {@code budget_exceeded}, and the ledger never passes the limit. A kill -9 while a
 * reservation is held leaves a row that the next start releases and receipts. Reference profile:
 * the test connector is unsigned, and the budget code path is the same in every profile.
 */
public class BudgetRaceAttackIT {
  private static final long COST = 1000;

  private static String paid(long ms) {
    return "{\"call\":{\"tool_id\":\"extra_paid\",\"args\":{\"ms\":" + ms + "}}}";
  }

  private static Distribution withPaidTool() throws Exception {
    Path jar = FeatureBundles.testConnector();
    Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-budget-race"))
            .env("BRIEFCASE_PROFILE_MODE", "reference")
            .start();
    Path tmp = d.dataDir.resolve("extra.jar.tmp");
    Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(
        tmp, d.dataDir.resolve("deploy/extra-connector.jar"), StandardCopyOption.ATOMIC_MOVE);
    awaitPaidTool(d);
    return d;
  }

  private static void awaitPaidTool(Distribution d) throws Exception {
    waitFor(
        () -> {
          try {
            return d.get("/v1/tools").body().contains("\"extra_paid\"");
          } catch (Exception e) {
            return false;
          }
        },
        "extra_paid to be served",
        Duration.ofSeconds(60));
  }

  private static void setReadLimit(Distribution d, long microUsd) throws Exception {
    Distribution.Answer a =
        d.post("/v1/budgets/read", "{\"daily_limit_microusd\":" + microUsd + "}");
    assertEquals(a.body(), 200, a.status());
  }

  private static long spentRead(Distribution d) throws Exception {
    for (JsonNode b : d.get("/v1/budgets").json().get("budgets")) {
      if ("read".equals(b.path("category").asText())) {
        return b.path("spent_today_microusd").asLong();
      }
    }
    throw new AssertionError("no read budget");
  }

  @Test
  public void racingCallersNeverSpendPastTheLimit() throws Exception {
    int allowed = 3;
    int callers = 40;
    long limit = allowed * COST;
    try (Distribution d = withPaidTool()) {
      setReadLimit(d, limit);
      ExecutorService pool = Executors.newFixedThreadPool(callers);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JsonNode>> answers = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
          answers.add(
              pool.submit(
                  () -> {
                    go.await();
                    // slow enough that every caller reaches the gate while the first still run
                    return d.post("/v1/tools/call", paid(1500)).json();
                  }));
        }
        go.countDown();
        int ok = 0;
        for (Future<JsonNode> f : answers) {
          JsonNode r = f.get(120, TimeUnit.SECONDS);
          String status = r.path("status").asText();
          if ("ok".equals(status)) {
            ok++;
          } else {
            assertEquals(r.toString(), "approval_required", status);
            assertEquals(r.toString(), "budget_exceeded", r.at("/approval/reason").asText());
          }
        }
        System.out.printf(
            "budget race: %d of %d callers ran, limit allows %d%n", ok, callers, allowed);
        assertTrue("ran " + ok + " calls, the limit allows " + allowed, ok <= allowed);
        assertTrue("no call ran at all", ok >= 1);
        long spent = spentRead(d);
        assertTrue("spent " + spent + " > limit " + limit, spent <= limit);
        assertEquals(ok * COST, spent);
        // the receipts agree: one allow per call that ran
        int allowReceipts = 0;
        for (JsonNode rec : d.get("/v1/receipts?limit=500").json().get("receipts")) {
          JsonNode e = rec.get("event");
          if ("tool_call".equals(e.path("type").asText())
              && "extra_paid".equals(e.path("tool_id").asText())
              && "allow".equals(e.path("decision").asText())) {
            allowReceipts++;
          }
        }
        assertEquals(ok, allowReceipts);
        assertEquals(0, openReservations(d.dataDir));
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  public void reservationHeldAcrossKill9IsReleasedAndReceiptedAtRestart() throws Exception {
    Distribution d = withPaidTool();
    try {
      setReadLimit(d, COST);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        // the call holds the whole day's limit while its tool sleeps
        pool.submit(() -> d.post("/v1/tools/call", paid(120_000)));
        waitFor(
            () -> openReservations(d.dataDir) == 1,
            "the reservation to be stored",
            Duration.ofSeconds(30));
        JsonNode second = d.post("/v1/tools/call", paid(0)).json();
        assertEquals(second.toString(), "approval_required", second.path("status").asText());
        assertEquals("budget_exceeded", second.at("/approval/reason").asText());

        d.kill9();
        assertEquals("the orphan survives the kill", 1, openReservations(d.dataDir));
        d.start();
        awaitPaidTool(d);

        assertEquals("released at start", 0, openReservations(d.dataDir));
        assertEquals("released, not spent", 0, spentRead(d));
        JsonNode released = null;
        for (JsonNode rec : d.get("/v1/receipts?limit=500").json().get("receipts")) {
          if ("budget_reservation_released".equals(rec.at("/event/type").asText())) {
            assertTrue("released once", released == null);
            released = rec.get("event");
          }
        }
        assertTrue("no budget_reservation_released receipt", released != null);
        assertEquals("orphaned_at_start", released.path("reason").asText());
        assertEquals("extra_paid", released.path("tool_id").asText());
        assertEquals("read", released.path("category").asText());
        assertEquals(COST, released.path("amount_microusd").asLong());
        assertTrue(d.post("/v1/receipts/verify", "{}").json().path("ok").asBoolean());

        // the limit is whole again: exactly one more call fits, and it is spent once
        assertEquals("ok", d.post("/v1/tools/call", paid(0)).json().path("status").asText());
        assertEquals(COST, spentRead(d));
        assertFalse("ok".equals(d.post("/v1/tools/call", paid(0)).json().path("status").asText()));
      } finally {
        pool.shutdownNow();
      }
    } finally {
      d.close();
    }
  }

  /** Rows in the kernel's reservation table, read next to the running kernel (WAL mode). */
  private static int openReservations(Path dataDir) {
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("briefcase.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM budget_reservations")) {
      return rs.next() ? rs.getInt(1) : 0;
    } catch (SQLException e) {
      // on a kernel without reservations there is no such table
      return -1;
    }
  }
}
