package dev.briefcase.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop load: {@code threads} platform threads call one operation back to back, first for a
 * warm-up window that is not recorded, then for a measured window in which every call's wall time
 * is kept in a preallocated per-thread array. Both windows end by the clock, so every phase stops
 * by itself.
 */
public final class Load {
  /** Calls after which a phase gives up: a broken target should not spin for the whole window. */
  public static final int MAX_ERRORS = 1_000;

  /** One call; {@code false} (or an exception) counts as an error. */
  public interface Call {
    boolean run() throws Exception;
  }

  /** The outcome of one measured window. */
  public record Result(
      String label,
      long calls,
      long errors,
      double seconds,
      long p50Nanos,
      long p99Nanos,
      long maxNanos,
      boolean sampled,
      String firstError) {
    public double callsPerSecond() {
      return calls / seconds;
    }
  }

  private final int threads;
  private final long[][] samples;

  /**
   * @param threads concurrent callers
   * @param totalSamples latency samples kept per phase across all threads; beyond a thread's share
   *     its samples are a uniform reservoir of all its calls
   */
  public Load(int threads, int totalSamples) {
    this.threads = threads;
    int perThread = Math.max(65_536, totalSamples / threads);
    this.samples = new long[threads][perThread];
  }

  public Result run(String label, Call call, double warmupSeconds, double measureSeconds)
      throws InterruptedException {
    long warmNanos = (long) (warmupSeconds * 1e9);
    long measureNanos = (long) (measureSeconds * 1e9);
    long[] calls = new long[threads];
    long[] errors = new long[threads];
    int[] stored = new int[threads];
    AtomicBoolean abort = new AtomicBoolean();
    AtomicReference<String> firstError = new AtomicReference<>();
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    long[] start = new long[1];
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      workers[t] =
          new Thread(
              () -> {
                ready.countDown();
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                long warmEnd = start[0] + warmNanos;
                long end = warmEnd + measureNanos;
                long[] s = samples[id];
                int cap = s.length;
                SplittableRandom rnd = new SplittableRandom(id * 7919L + 1);
                long errs = 0;
                while (!abort.get() && System.nanoTime() < warmEnd) {
                  if (!attempt(call, firstError)) {
                    errs++;
                    if (errs > MAX_ERRORS) {
                      abort.set(true);
                    }
                  }
                }
                long n = 0;
                int kept = 0;
                while (!abort.get()) {
                  long t0 = System.nanoTime();
                  if (t0 >= end) {
                    break;
                  }
                  boolean ok = attempt(call, firstError);
                  long d = System.nanoTime() - t0;
                  n++;
                  if (!ok && ++errs > MAX_ERRORS) {
                    abort.set(true);
                  }
                  if (kept < cap) {
                    s[kept++] = d;
                  } else {
                    long j = rnd.nextLong(n);
                    if (j < cap) {
                      s[(int) j] = d;
                    }
                  }
                }
                calls[id] = n;
                errors[id] = errs;
                stored[id] = kept;
              },
              "bench-" + label + "-" + t);
      workers[t].setDaemon(true);
    }
    for (Thread w : workers) {
      w.start();
    }
    ready.await();
    start[0] = System.nanoTime();
    go.countDown();
    long deadline = start[0] + warmNanos + measureNanos + 60_000_000_000L;
    for (Thread w : workers) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      w.join(left);
      if (w.isAlive()) {
        // a call hung past its own timeout: stop the phase rather than wait forever
        abort.set(true);
        w.interrupt();
        w.join(5_000);
      }
    }
    long total = 0;
    long errs = 0;
    int kept = 0;
    boolean sampled = false;
    for (int t = 0; t < threads; t++) {
      total += calls[t];
      errs += errors[t];
      kept += stored[t];
      sampled |= calls[t] > samples[t].length;
    }
    long[] all = new long[kept];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(samples[t], 0, all, at, stored[t]);
      at += stored[t];
    }
    Arrays.sort(all);
    return new Result(
        label,
        total,
        errs,
        measureSeconds,
        percentile(all, 0.50),
        percentile(all, 0.99),
        all.length == 0 ? 0 : all[all.length - 1],
        sampled,
        abort.get() && firstError.get() == null ? "aborted" : firstError.get());
  }

  private static boolean attempt(Call call, AtomicReference<String> firstError) {
    try {
      if (call.run()) {
        return true;
      }
      firstError.compareAndSet(null, "call returned a non-ok outcome");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      firstError.compareAndSet(null, "interrupted");
    } catch (Exception e) {
      firstError.compareAndSet(null, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return false;
  }

  /** Nearest-rank percentile of a sorted array. */
  public static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }
}
