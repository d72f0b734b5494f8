package dev.briefcase.plugindirectory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * One bound plugin and the calls running on it ({@link PluginDirectory#bind}). Thread-safe.
 *
 * @param <S> what the family binds
 */
public final class Plugin<S> {
  private final S service;
  private final String name;
  private final int ranking;
  private final long serviceId;
  private final long arrival;
  final BooleanSupplier retired;
  private final AtomicInteger inFlight = new AtomicInteger();
  volatile boolean draining;

  Plugin(
      S service, String name, int ranking, long serviceId, long arrival, BooleanSupplier retired) {
    this.service = service;
    this.name = name;
    this.ranking = ranking;
    this.serviceId = serviceId;
    this.arrival = arrival;
    this.retired = retired;
  }

  public S service() {
    return service;
  }

  /** The connector or signer id the log and a departed key name it by. */
  public String name() {
    return name;
  }

  public int ranking() {
    return ranking;
  }

  public long serviceId() {
    return serviceId;
  }

  /** Bind order within its directory: the first plugin bound has the lowest. */
  public long arrival() {
    return arrival;
  }

  /** Whether it wins over {@code other} for the same key: higher ranking, then older service. */
  public boolean outranks(Plugin<?> other) {
    return ranking > other.ranking || (ranking == other.ranking && serviceId < other.serviceId);
  }

  /** Whether it was withdrawn: no new lease is granted on it. */
  public boolean draining() {
    return draining;
  }

  int inFlight() {
    return inFlight.get();
  }

  /**
   * Counts a call in, unless the plugin is draining. The count goes up before the flag is read, and
   * withdraw sets the flag before drain reads the count: one of the two always sees the other, so a
   * call either backs off or is waited for.
   */
  boolean enter() {
    inFlight.incrementAndGet();
    if (draining) {
      exit();
      return false;
    }
    return true;
  }

  void exit() {
    if (inFlight.decrementAndGet() == 0 && draining) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  synchronized boolean awaitIdle(long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    boolean interrupted = false;
    try {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
