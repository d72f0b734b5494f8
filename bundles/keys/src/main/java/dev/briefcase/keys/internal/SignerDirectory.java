package dev.briefcase.keys.internal;

import dev.briefcase.keys.KeyException;
import dev.briefcase.signer.Signer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signers currently registered, by backend id, looked up per call and never cached past a call.
 * A backend that left less than {@link Timings#departedMillis} ago (a bundle update or replacement)
 * is waited for up to {@link Timings#swapGraceMillis}; otherwise a missing backend is {@code
 * backend_unavailable} at once. Also chooses backends for new keys ({@link #candidates}).
 * Thread-safe.
 */
final class SignerDirectory {
  /** How long calls wait around a signer swap, in milliseconds. */
  record Timings(long swapGraceMillis, long departedMillis, long stopGraceMillis) {
    /**
     * The defaults: 3 s swap grace for a backend that left less than 10 s ago, 0.5 s stop grace.
     */
    static final Timings DEFAULT = new Timings(3_000, 10_000, 500);
  }

  /** Hardware backends in the order {@code auto} tries them. */
  private static final List<String> HARDWARE_ORDER = List.of("pkcs11", "tpm2", "apple", "windows");

  private static final Logger LOG = LoggerFactory.getLogger(SignerDirectory.class);

  private final Timings timings;
  private final Map<Long, SignerBinding> signers = new ConcurrentHashMap<>();
  private final Map<String, Long> departed = new ConcurrentHashMap<>();
  private final Object arrivals = new Object();

  SignerDirectory(Timings timings) {
    this.timings = timings;
  }

  void arrived(SignerBinding b) {
    signers.put(b.serviceId(), b);
    synchronized (arrivals) {
      arrivals.notifyAll();
    }
    LOG.info("signer {} arrived", b.id());
  }

  void left(long serviceId) {
    SignerBinding gone = signers.get(serviceId);
    if (gone != null) {
      // recorded before the removal, so a caller never sees the backend missing and not departed
      departed.put(gone.id(), System.nanoTime());
    }
    SignerBinding b = signers.remove(serviceId);
    if (b != null) {
      b.release();
      synchronized (arrivals) {
        arrivals.notifyAll();
      }
      LOG.info("signer {} left", b.id());
    }
  }

  /** The highest-ranked signer with this id (lowest service id on a tie), or null. */
  SignerBinding best(String id) {
    SignerBinding best = null;
    for (SignerBinding b : signers.values()) {
      if (b.id().equals(id) && (best == null || b.outranks(best))) {
        best = b;
      }
    }
    return best;
  }

  /**
   * The signer for a backend id; waits up to the swap grace only when that backend left less than
   * the departed window ago (a bundle update or replacement in progress).
   */
  SignerBinding find(String id) throws KeyException {
    SignerBinding b = best(id);
    if (b != null) {
      return b;
    }
    Long left = departed.get(id);
    if (left != null
        && System.nanoTime() - left < timings.departedMillis() * 1_000_000L
        && awaitBinding(id, Objects::nonNull, timings.swapGraceMillis(), 50)) {
      b = best(id);
      if (b != null) {
        return b;
      }
    }
    throw new KeyException("backend_unavailable", "signer backend " + id + " is not available");
  }

  /** Whether the binding {@code b} goes away within the stop grace. */
  boolean replaced(String id, SignerBinding b) {
    return awaitBinding(id, current -> current != b, timings.stopGraceMillis(), 10);
  }

  /**
   * Waits on signer arrivals and departures until {@code done} holds for the current binding of
   * {@code id} (null when none), for at most {@code millis}, re-checking every {@code pollMillis}.
   */
  private boolean awaitBinding(
      String id, Predicate<SignerBinding> done, long millis, long pollMillis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    synchronized (arrivals) {
      while (!done.test(best(id))) {
        long wait = (deadline - System.nanoTime()) / 1_000_000L;
        if (wait <= 0) {
          return false;
        }
        try {
          arrivals.wait(Math.min(wait, pollMillis));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /**
   * The signers to try for a new key: for {@code auto} every backend in {@link #autoOrder}; for a
   * named backend that signer, or else every signer of that family ({@code pkcs11} also matches
   * signers configured as {@code pkcs11-<name>}).
   */
  List<SignerBinding> candidates(String want) throws KeyException {
    List<SignerBinding> candidates = new ArrayList<>();
    if (!"auto".equals(want)) {
      if (best(want) == null) {
        autoOrder().stream().filter(b -> family(b.id()).equals(want)).forEach(candidates::add);
      }
      if (candidates.isEmpty()) {
        candidates.add(find(want));
      }
    } else {
      candidates.addAll(autoOrder());
      if (candidates.isEmpty()) {
        throw new KeyException("backend_unavailable", "no signer backend is available");
      }
    }
    return candidates;
  }

  /** Hardware signers first (pkcs11, tpm2, apple, windows, then others by id), then software. */
  List<SignerBinding> autoOrder() {
    Map<String, SignerBinding> byId = new TreeMap<>();
    for (SignerBinding b : signers.values()) {
      byId.merge(b.id(), b, (x, y) -> best(x.id()));
    }
    List<SignerBinding> hardware = new ArrayList<>();
    List<SignerBinding> software = new ArrayList<>();
    for (SignerBinding b : byId.values()) {
      (b.hardwareBacked() ? hardware : software).add(b);
    }
    hardware.sort(
        Comparator.comparingInt(
                (SignerBinding b) -> {
                  int i = HARDWARE_ORDER.indexOf(family(b.id()));
                  return i < 0 ? HARDWARE_ORDER.size() : i;
                })
            .thenComparing(SignerBinding::id));
    List<SignerBinding> out = new ArrayList<>(hardware);
    out.addAll(software);
    return out;
  }

  /** The backend family of a signer id: {@code pkcs11-hsm2} → {@code pkcs11}. */
  static String family(String signerId) {
    int dash = signerId.indexOf('-');
    return dash < 0 ? signerId : signerId.substring(0, dash);
  }

  /** The {@code signer.id} of a signer service, or null when it has none. */
  static String signerId(Map<String, Object> props) {
    return props.get(Signer.ID) instanceof String s && !s.isBlank() ? s : null;
  }

  static int ranking(Map<String, Object> props) {
    return props.get("service.ranking") instanceof Integer i ? i : 0;
  }

  static long serviceId(Map<String, Object> props) {
    return props.get("service.id") instanceof Long l ? l : -1L;
  }
}
