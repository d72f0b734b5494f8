package dev.briefcase.kernel.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import dev.briefcase.tools.ToolCallService;
import java.time.Clock;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * Wires the real kernel parts by hand, as Declarative Services would inside the framework. It sits
 * in the kernel's package (legal on a flat class path, never inside a bundle) because the connector
 * binding and the risk assessor binding are package-private DS methods.
 */
public final class BenchKernel {
  private BenchKernel() {}

  /**
   * Builds a tool-call pipeline over {@code store}, {@code receipts} and {@code policy}, with the
   * built-in risk heuristics and {@code connector} bound under the connector id {@code
   * connectorId}.
   */
  public static ToolCallService pipeline(
      Store store,
      ReceiptLog receipts,
      PolicyEngine policy,
      Connector connector,
      String connectorId) {
    Clock clock = Clock.systemUTC();
    ToolRegistry registry = new ToolRegistry();
    ApprovalBook approvals = new ApprovalBook(store, receipts, Duration.ofMinutes(10), clock);
    BudgetLedger budgets = new BudgetLedger(store, receipts, clock);
    ManifestBook manifests = new ManifestBook(store, receipts, registry);
    ToolCallPipeline pipeline =
        new ToolCallPipeline(registry, manifests, approvals, budgets, policy, receipts, clock);
    pipeline.bindRiskAssessor(new RiskHeuristics());
    registry.bindConnector(new Ref(connectorId), connector);
    return pipeline;
  }

  /** The service reference the registry keys a connector by; only its properties are read. */
  private static final class Ref implements ServiceReference<Connector> {
    private final Map<String, Object> props;

    Ref(String id) {
      props = Map.of(Connector.ID, id, "service.ranking", 0, "service.id", 1L);
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
      return other == this ? 0 : 1;
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
