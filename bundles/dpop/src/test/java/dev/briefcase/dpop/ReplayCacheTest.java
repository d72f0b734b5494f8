package dev.briefcase.dpop;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.dpop.TestProofs.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.Test;

public class ReplayCacheTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T12:00:00Z"));

  @Test
  public void keyIsJktAndJti() {
    ReplayCache cache = new ReplayCache(clock, Duration.ofMinutes(20), 20_000);
    assertTrue(cache.firstUse("k1", "j"));
    assertTrue(cache.firstUse("k2", "j"));
    assertFalse(cache.firstUse("k1", "j"));
  }

  @Test
  public void entriesLiveForTheRetentionThenExpire() {
    ReplayCache cache = new ReplayCache(clock, Duration.ofMinutes(20), 20_000);
    cache.firstUse("k", "j");
    clock.now = clock.now.plus(Duration.ofMinutes(20)).minusMillis(1);
    assertFalse(cache.firstUse("k", "j"));
    clock.now = clock.now.plusMillis(1);
    assertTrue(cache.firstUse("k", "j"));
  }

  @Test
  public void oldestIsEvictedFirstWhenFullOnceItsProofIsNoLongerAcceptable() {
    ReplayCache cache = new ReplayCache(clock, Duration.ofMinutes(20), 20_000);
    Instant until = clock.now.plusSeconds(120);
    for (int i = 0; i < 20_000; i++) {
      assertTrue(cache.firstUse("k", "j" + i, until));
    }
    clock.now = until.plusMillis(1);
    assertTrue(cache.firstUse("k", "new", clock.now.plusSeconds(120)));
    assertEquals(20_000, cache.size());
    assertTrue("oldest was evicted", cache.firstUse("k", "j0", clock.now.plusSeconds(120)));
    assertFalse("a newer one is kept", cache.firstUse("k", "j19999", clock.now));
  }

  @Test
  public void aCacheFullOfAcceptableProofsRefusesInsteadOfForgetting() {
    ReplayCache cache = new ReplayCache(clock, Duration.ofMinutes(20), 20_000);
    Instant until = clock.now.plusSeconds(120);
    for (int i = 0; i < 20_000; i++) {
      assertTrue(cache.firstUse("k", "j" + i, until));
    }
    try {
      cache.firstUse("k", "new", until);
      fail("a live proof was evicted");
    } catch (DpopException e) {
      assertEquals("replay_cache_full", e.code());
    }
    assertEquals(20_000, cache.size());
    assertFalse("the oldest is still remembered", cache.firstUse("k", "j0", until));
    assertFalse("the rest is still remembered", cache.firstUse("k", "j1", until));
  }

  @Test
  public void theTwoArgumentFormKeepsAnEntryAcceptableForTheWholeRetention() {
    ReplayCache cache = new ReplayCache(clock, Duration.ofMinutes(20), 20_000);
    for (int i = 0; i < 20_000; i++) {
      assertTrue(cache.firstUse("k", "j" + i));
    }
    clock.now = clock.now.plus(Duration.ofMinutes(19));
    try {
      cache.firstUse("k", "new");
      fail("an entry was evicted within its retention");
    } catch (DpopException e) {
      assertEquals("replay_cache_full", e.code());
    }
  }

  @Test(expected = IllegalArgumentException.class)
  public void retentionBelowTwentyMinutesIsRefused() {
    new ReplayCache(clock, Duration.ofMinutes(19), 20_000);
  }

  @Test(expected = IllegalArgumentException.class)
  public void capacityBelowTwentyThousandIsRefused() {
    new ReplayCache(clock, Duration.ofMinutes(20), 19_999);
  }
}
