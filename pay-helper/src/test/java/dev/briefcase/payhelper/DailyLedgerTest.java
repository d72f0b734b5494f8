package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class DailyLedgerTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final LocalDate DAY = LocalDate.parse("2026-12-08");
  private static final String BUCKET = "x402:eip155:84532:0xabc";

  @Test
  public void reservationsThatMeetBetweenReadAndWriteStillCannotPassTheCap() throws Exception {
    Path dir = tmp.newFolder("j").toPath();
    int n = 4;
    // every reservation waits at the barrier after reading the total: without the ledger lock all
    // of them read 0 and all succeed; with it only one is ever between read and write
    CyclicBarrier meet = new CyclicBarrier(n);
    Runnable hook =
        () -> {
          try {
            meet.await(300, TimeUnit.MILLISECONDS);
          } catch (TimeoutException | BrokenBarrierException e) {
            // alone in the critical section, as it should be
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        DailyLedger ledger = new DailyLedger(dir).beforeWrite(hook);
        results.add(
            pool.submit(
                () -> {
                  try {
                    ledger.reserve(DAY, BUCKET, BigInteger.valueOf(100), BigInteger.valueOf(200));
                    return true;
                  } catch (HelperException e) {
                    assertEquals(HelperException.LIMIT_EXCEEDED, e.code());
                    return false;
                  }
                }));
      }
      int ok = 0;
      for (Future<Boolean> f : results) {
        ok += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertEquals(2, ok);
      assertEquals(BigInteger.valueOf(200), new DailyLedger(dir).spent(DAY, BUCKET));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void daysAreSeparateAndAReleaseNeverGoesBelowZero() throws Exception {
    Path dir = tmp.newFolder("j").toPath();
    DailyLedger ledger = new DailyLedger(dir);
    ledger.reserve(DAY, BUCKET, BigInteger.TEN, BigInteger.TEN);
    assertThrows(
        HelperException.class, () -> ledger.reserve(DAY, BUCKET, BigInteger.ONE, BigInteger.TEN));
    ledger.reserve(DAY.plusDays(1), BUCKET, BigInteger.TEN, BigInteger.TEN);
    ledger.release(DAY, BUCKET, BigInteger.valueOf(25));
    assertEquals(BigInteger.ZERO, ledger.spent(DAY, BUCKET));
    assertEquals(BigInteger.TEN, ledger.spent(DAY.plusDays(1), BUCKET));
  }

  @Test
  public void oldDayFilesArePrunedButNotRecentOnes() throws Exception {
    Path dir = tmp.newFolder("j").toPath();
    DailyLedger ledger = new DailyLedger(dir);
    LocalDate old = DAY.minusDays(DailyLedger.KEEP_DAYS + 1);
    ledger.reserve(old, BUCKET, BigInteger.ONE, null);
    ledger.reserve(DAY.minusDays(1), BUCKET, BigInteger.ONE, null);
    ledger.reserve(DAY, BUCKET, BigInteger.ONE, null);
    assertEquals(false, Files.exists(dir.resolve("spent-" + old + ".ledger")));
    assertEquals(true, Files.exists(dir.resolve("spent-" + DAY.minusDays(1) + ".ledger")));
  }
}
