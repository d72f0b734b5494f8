package dev.briefcase.payhelper;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class JournalTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final byte[] key = new byte[32];

  @Test
  public void entriesAreOwnerOnlyAndTheAnswerIsSealed() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("j");
    Journal j = new Journal(dir, key);
    byte[] answer = "{\"payment_signature_b64\":\"CANARY-SIGNATURE\"}".getBytes();
    j.write("k1", "x402_v2", "d1", "done", null, Instant.now(), answer);
    Path file = dir.resolve("k1.json");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertFalse(Files.readString(file).contains("CANARY"));
    assertArrayEquals(answer, j.unseal("k1", j.read("k1").get()));
  }

  @Test
  public void aSealedAnswerMovedToAnotherKeyDoesNotOpen() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("j");
    Journal j = new Journal(dir, key);
    j.write("k1", "x402_v2", "d1", "done", null, Instant.now(), new byte[] {1});
    Files.copy(dir.resolve("k1.json"), dir.resolve("k2.json"));
    assertThrows(HelperException.class, () -> j.unseal("k2", j.read("k2").get()));
    // nor with an edited request digest
    ObjectNode o = (ObjectNode) Helpers.JSON.readTree(dir.resolve("k1.json").toFile());
    o.put("request_digest", "d2");
    Files.write(dir.resolve("k1.json"), Helpers.JSON.writeValueAsBytes(o));
    assertThrows(HelperException.class, () -> j.unseal("k1", j.read("k1").get()));
  }

  @Test
  public void pruningRemovesOnlyResolvedEntriesOlderThanThirtyDays() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("j");
    Journal j = new Journal(dir, key);
    Instant now = Instant.parse("2026-12-08T00:00:00Z");
    assertEquals(Duration.ofDays(30), Journal.RETENTION);
    Instant old = now.minus(Journal.RETENTION).minus(Duration.ofMinutes(1));
    j.write("old-done", "x402_v2", "d", "done", null, old, new byte[] {1});
    j.write("old-paying", "l402", "d", "paying", "00".repeat(32), old, null);
    // an x402 row the kernel may still re-send after a week must still replay
    j.write(
        "week-old", "x402_v2", "d", "done", null, now.minus(Duration.ofDays(8)), new byte[] {1});
    j.write("recent", "x402_v2", "d", "done", null, now.minus(Duration.ofDays(29)), new byte[] {1});
    j.prune(now);
    assertFalse(j.read("old-done").isPresent());
    assertTrue(j.read("old-paying").isPresent());
    assertTrue(j.read("week-old").isPresent());
    assertTrue(j.read("recent").isPresent());
  }

  @Test
  public void pruningNeverDeletesLockFilesNorEntriesWhoseLockIsHeld() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("j");
    Journal j = new Journal(dir, key);
    Instant now = Instant.parse("2026-12-08T00:00:00Z");
    Instant old = now.minus(Journal.RETENTION).minus(Duration.ofDays(1));
    j.write("busy", "x402_v2", "d", "done", null, old, new byte[] {1});
    j.write("idle", "x402_v2", "d", "done", null, old, new byte[] {1});
    try (AutoCloseable idle = j.lock("idle")) {
      // taken and given back: its lock file now exists
    }
    Path busyLock = dir.resolve("busy.lock");
    try (AutoCloseable held = j.lock("busy")) {
      // another thread prunes while this key is in use
      Thread pruner = new Thread(() -> j.prune(now));
      pruner.start();
      pruner.join(60_000);
      assertFalse(pruner.isAlive());
      assertTrue(j.read("busy").isPresent());
      assertTrue(Files.exists(busyLock));
    }
    j.prune(now);
    assertFalse(j.read("busy").isPresent());
    assertFalse(j.read("idle").isPresent());
    // the lock files stay: a waiter may already hold an open descriptor of them
    assertTrue(Files.exists(busyLock));
    assertTrue(Files.exists(dir.resolve("idle.lock")));
  }

  @Test
  public void twoThreadsWithOneKeyWaitForEachOtherInsteadOfFailing() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("j");
    Journal j = new Journal(dir, key);
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.CountDownLatch acquired = new java.util.concurrent.CountDownLatch(1);
    Thread second;
    try (AutoCloseable held = j.lock("k")) {
      second =
          new Thread(
              () -> {
                try (AutoCloseable again = j.lock("k")) {
                  acquired.countDown();
                } catch (Exception e) {
                  failure.set(e);
                }
              });
      second.start();
      assertFalse(acquired.await(200, java.util.concurrent.TimeUnit.MILLISECONDS));
    }
    assertTrue(acquired.await(60, java.util.concurrent.TimeUnit.SECONDS));
    second.join(60_000);
    assertEquals(null, failure.get());
  }
}
