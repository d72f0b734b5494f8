package dev.briefcase.kernel.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.plugindirectory.Lease;
import dev.briefcase.plugindirectory.Plugin;
import dev.briefcase.plugindirectory.PluginDirectory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credential strategy plugins (step 8 of the tool call), by {@link CredentialStrategy#KIND}:
 * one family of the {@link PluginDirectory}, so a call holds a {@link Lease} on its strategy from
 * step 8 until its result is in, an update drains the calls running on the old instance, and a
 * strategy that left is waited for up to the swap grace. Thread-safe.
 */
@Component(service = CredentialStrategies.class)
public final class CredentialStrategies {
  private static final Logger LOG = LoggerFactory.getLogger(CredentialStrategies.class);

  /** A bound strategy and the kind it serves. */
  record Bound(String kind, CredentialStrategy strategy) {}

  private final PluginDirectory<Bound> directory;
  private final Map<ServiceReference<?>, Plugin<Bound>> plugins = new ConcurrentHashMap<>();

  CredentialStrategies(DirectoryTimings timings) {
    this.directory =
        new PluginDirectory<>(
            "credential strategy", timings, PluginDirectory.highestRanked(Bound::kind));
  }

  @Activate
  public CredentialStrategies(BundleContext context) {
    this(DirectoryTimings.from(context));
  }

  @Reference(cardinality = MULTIPLE, policy = DYNAMIC, policyOption = GREEDY)
  void bindStrategy(ServiceReference<CredentialStrategy> ref, CredentialStrategy strategy) {
    Object kind = ref.getProperty(CredentialStrategy.KIND);
    if (!(kind instanceof String k) || k.isEmpty()) {
      LOG.warn("credential strategy without a {} property is ignored", CredentialStrategy.KIND);
      return;
    }
    Bundle bundle = ref.getBundle();
    Object ranking = ref.getProperty("service.ranking");
    Object serviceId = ref.getProperty("service.id");
    plugins.put(
        ref,
        directory.bind(
            new Bound(k, strategy),
            k,
            ranking instanceof Integer r ? r : 0,
            serviceId instanceof Long l ? l : Long.MAX_VALUE,
            () -> bundle != null && bundle.getState() == Bundle.UNINSTALLED));
    LOG.info("credential strategy {} arrived", k);
  }

  /** Takes a strategy out of service once the calls running on it are done (drain). */
  void unbindStrategy(ServiceReference<CredentialStrategy> ref) {
    Plugin<Bound> p = plugins.remove(ref);
    if (p == null) {
      return;
    }
    directory.unbind(p);
    LOG.info("credential strategy {} left", p.name());
  }

  /** Binds a strategy without a framework (tests). */
  void bind(String kind, CredentialStrategy strategy, long serviceId) {
    directory.bind(new Bound(kind, strategy), kind, 0, serviceId, () -> false);
  }

  /**
   * A lease on the strategy of this kind for one call: waits out the swap grace when it left a
   * moment ago (an update in progress); {@link Lease#unknown()} or {@link Lease#unavailable()} when
   * none serves it.
   */
  Lease<Bound> lease(String kind) {
    return directory.lease(kind);
  }
}
