package dev.briefcase.kernel.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolManifest;
import java.time.Clock;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The kernel's published test hook: its real parts wired by hand, as Declarative Services would
 * inside the framework. It lives in the kernel's own test sources (the connector and risk-assessor
 * bindings are package-private DS methods) and is published in the kernel's test-jar, which the
 * pipeline benchmark (bench) uses instead of placing classes into this package.
 */
public final class KernelTestHook {
  private KernelTestHook() {}

  /**
   * A tool-call pipeline over {@code store}, {@code receipts} and {@code policy}, with the built-in
   * risk heuristics and {@code connector} bound under the connector id {@code connectorId}.
   */
  public static ToolCallService pipeline(
      Store store,
      ReceiptLog receipts,
      PolicyEngine policy,
      Connector connector,
      String connectorId) {
    return pipeline(store, receipts, policy, connector, connectorId, Map.of(), List.of());
  }

  /**
   * The same pipeline with credential strategies bound by kind (step 8), as DS binds each strategy
   * service by its {@link CredentialStrategy#KIND} property, and {@code manifests} stored for the
   * connector's tools (a manifest is granted only to a tool a bound connector offers).
   */
  public static ToolCallService pipeline(
      Store store,
      ReceiptLog receipts,
      PolicyEngine policy,
      Connector connector,
      String connectorId,
      Map<String, CredentialStrategy> strategies,
      List<ToolManifest> manifests) {
    Clock clock = Clock.systemUTC();
    ToolRegistry registry = new ToolRegistry();
    ApprovalBook approvals = new ApprovalBook(store, receipts, Duration.ofMinutes(10), clock);
    BudgetLedger budgets = new BudgetLedger(store, receipts, clock);
    ManifestBook manifestBook = new ManifestBook(store, receipts, registry);
    CredentialStrategies bound = new CredentialStrategies(DirectoryTimings.DEFAULT);
    long serviceId = 1;
    for (Map.Entry<String, CredentialStrategy> s : strategies.entrySet()) {
      bound.bind(s.getKey(), s.getValue(), serviceId++);
    }
    ToolCallPipeline pipeline =
        new ToolCallPipeline(
            registry, manifestBook, approvals, budgets, policy, receipts, bound, clock);
    pipeline.bindRiskAssessor(new RiskHeuristics());
    registry.bindConnector(connectorRef(connectorId, 0, 1L), connector);
    for (ToolManifest m : manifests) {
      manifestBook.put(m, "test-hook");
    }
    return pipeline;
  }

  /**
   * The service reference the registry keys a connector by; only its properties and its ranking
   * order (higher ranking first, then lower service id) are used.
   */
  static ServiceReference<Connector> connectorRef(String id, int ranking, long serviceId) {
    return new ConnectorRef(id, ranking, serviceId);
  }

  private static final class ConnectorRef implements ServiceReference<Connector> {
    private final Map<String, Object> props;

    ConnectorRef(String id, int ranking, long serviceId) {
      props = Map.of(Connector.ID, id, "service.ranking", ranking, "service.id", serviceId);
    }

    @Override
    public Object getProperty(String key) {
      return props.get(key);
    }

    @Override
    public String[] getPropertyKeys() {
      return props.keySet().toArray(new String[0]);
    }

    @Override
    public Bundle getBundle() {
      return null;
    }

    @Override
    public Bundle[] getUsingBundles() {
      return null;
    }

    @Override
    public boolean isAssignableTo(Bundle bundle, String className) {
      return true;
    }

    @Override
    public int compareTo(Object other) {
      ConnectorRef o = (ConnectorRef) other;
      int byRank =
          Integer.compare(
              (Integer) props.get("service.ranking"), (Integer) o.props.get("service.ranking"));
      if (byRank != 0) {
        return byRank;
      }
      return Long.compare((Long) o.props.get("service.id"), (Long) props.get("service.id"));
    }

    @Override
    public Dictionary<String, Object> getProperties() {
      return new Hashtable<>(props);
    }

    @Override
    public <A> A adapt(Class<A> type) {
      return null;
    }
  }
}
