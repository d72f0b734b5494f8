package dev.briefcase.keys.internal;

import dev.briefcase.keys.KeyException;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.plugindirectory.Lease;
import dev.briefcase.plugindirectory.Plugin;
import dev.briefcase.plugindirectory.PluginDirectory;
import dev.briefcase.signer.Signer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signers currently registered, by backend id: signers are one family of the {@link
 * PluginDirectory}, so a sign holds a {@link Lease} on its signer for the call (never cached past
 * it), unbinding a signer waits for the signs running on it (drain), and a backend that left is
 * waited for up to the swap grace after its departure (a bundle update), then {@value
 * PluginDirectory#BACKEND_UNAVAILABLE}. Also chooses backends for new keys ({@link #candidates}).
 * Thread-safe.
 */
final class SignerDirectory {
  /** Hardware backends in the order {@code auto} tries them. */
  private static final List<String> HARDWARE_ORDER = List.of("pkcs11", "tpm2", "apple", "windows");

  private static final Logger LOG = LoggerFactory.getLogger(SignerDirectory.class);

  private final PluginDirectory<SignerBinding> directory;
  private final Map<Long, Plugin<SignerBinding>> plugins = new ConcurrentHashMap<>();

  SignerDirectory(DirectoryTimings timings) {
    directory =
        new PluginDirectory<>("signer", timings, PluginDirectory.highestRanked(SignerBinding::id));
  }

  /**
   * Binds a signer.
   *
   * @param retired whether its bundle was uninstalled (then its backend gets no swap grace)
   */
  void arrived(SignerBinding b, BooleanSupplier retired) {
    plugins.put(b.serviceId(), directory.bind(b, b.id(), b.ranking(), b.serviceId(), retired));
    LOG.info("signer {} arrived", b.id());
  }

  /**
   * Takes a signer out of service and returns once the signs running on it are done (or the drain
   * timeout passed); only then is its service object released.
   */
  void left(long serviceId) {
    Plugin<SignerBinding> p = plugins.remove(serviceId);
    if (p == null) {
      return;
    }
    directory.withdraw(p);
    LOG.info("signer {} left", p.name());
    directory.drain(p);
    p.service().release();
  }

  /** The highest-ranked signer with this id (lowest service id on a tie), or null. */
  SignerBinding best(String id) {
    Plugin<SignerBinding> p = directory.current(id);
    return p == null ? null : p.service();
  }

  /**
   * A lease on the signer for a backend id, for one call; waits out the swap grace when that
   * backend left moments ago (a bundle update or replacement in progress).
   *
   * @throws KeyException {@code backend_unavailable} when no signer serves the id
   */
  Lease<SignerBinding> lease(String id) throws KeyException {
    Lease<SignerBinding> lease = directory.lease(id);
    if (lease.plugin() == null) {
      throw new KeyException(
          KeyException.BACKEND_UNAVAILABLE, "signer backend " + id + " is not available");
    }
    return lease;
  }

  /** The signer for a backend id, waiting out the swap grace as {@link #lease} does. */
  SignerBinding find(String id) throws KeyException {
    try (Lease<SignerBinding> lease = lease(id)) {
      return lease.service();
    }
  }

  /** Whether the signer {@code p} stops serving {@code id} within the stop grace. */
  boolean replaced(String id, Plugin<SignerBinding> p) {
    return directory.awaitReplaced(id, p);
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
        throw new KeyException(KeyException.BACKEND_UNAVAILABLE, "no signer backend is available");
      }
    }
    return candidates;
  }

  /** Hardware signers first (pkcs11, tpm2, apple, windows, then others by id), then software. */
  List<SignerBinding> autoOrder() {
    Map<String, Plugin<SignerBinding>> byId = new TreeMap<>();
    for (Plugin<SignerBinding> p : directory.bound()) {
      byId.merge(p.name(), p, (have, next) -> next.outranks(have) ? next : have);
    }
    List<SignerBinding> hardware = new ArrayList<>();
    List<SignerBinding> software = new ArrayList<>();
    for (Plugin<SignerBinding> p : byId.values()) {
      SignerBinding b = p.service();
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
