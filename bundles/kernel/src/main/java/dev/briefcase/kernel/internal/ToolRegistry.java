package dev.briefcase.kernel.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import dev.briefcase.connector.Connector;
import dev.briefcase.tools.ToolCatalogListener;
import dev.briefcase.tools.ToolSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks every bound {@link Connector} and answers, for each call, which connector serves a tool
 * id. The table is rebuilt whenever a connector comes or goes, so a lookup is one map read and a
 * call never sees half of a change. When two connectors claim one tool id, the higher service
 * ranking wins (then the older service).
 */
@Component(service = ToolRegistry.class)
public final class ToolRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ToolRegistry.class);

  private final Map<ServiceReference<Connector>, Connector> connectors = new ConcurrentHashMap<>();
  private final List<ToolCatalogListener> listeners = new CopyOnWriteArrayList<>();
  private volatile Map<String, ResolvedTool> table = Map.of();

  @Reference(cardinality = MULTIPLE, policy = DYNAMIC, policyOption = GREEDY)
  void bindConnector(ServiceReference<Connector> ref, Connector connector) {
    connectors.put(ref, connector);
    LOG.info("connector {} arrived", ref.getProperty(Connector.ID));
    rebuild();
  }

  void unbindConnector(ServiceReference<Connector> ref) {
    connectors.remove(ref);
    LOG.info("connector {} left", ref.getProperty(Connector.ID));
    rebuild();
  }

  @Reference(cardinality = MULTIPLE, policy = DYNAMIC, policyOption = GREEDY)
  void bindListener(ToolCatalogListener listener) {
    listeners.add(listener);
  }

  void unbindListener(ToolCatalogListener listener) {
    listeners.remove(listener);
  }

  /** The tool with this id, or {@code null} when no bound connector has it. */
  ResolvedTool resolve(String toolId) {
    return table.get(toolId);
  }

  /** Every tool, sorted by id. */
  List<ToolSpec> tools() {
    List<ToolSpec> specs = new ArrayList<>();
    for (ResolvedTool t : table.values()) {
      specs.add(t.spec());
    }
    return specs;
  }

  private synchronized void rebuild() {
    Map<String, ResolvedTool> next = new TreeMap<>();
    List<Map.Entry<ServiceReference<Connector>, Connector>> ranked =
        new ArrayList<>(connectors.entrySet());
    // ascending by ranking, so a higher-ranked connector overwrites a lower one's tool id
    ranked.sort(Comparator.comparing(Map.Entry::getKey));
    for (Map.Entry<ServiceReference<Connector>, Connector> e : ranked) {
      Object id = e.getKey().getProperty(Connector.ID);
      String connectorId = id == null ? "unnamed" : id.toString();
      List<ToolSpec> specs;
      try {
        specs = e.getValue().tools();
      } catch (RuntimeException ex) {
        LOG.warn("connector {} failed to list its tools; its tools are not offered", connectorId);
        continue;
      }
      for (ToolSpec spec : specs) {
        next.put(spec.id(), new ResolvedTool(spec, e.getValue(), connectorId));
      }
    }
    boolean changed = !next.keySet().equals(table.keySet()) || !sameServers(next);
    table = Collections.unmodifiableMap(next);
    if (changed) {
      for (ToolCatalogListener l : listeners) {
        try {
          l.toolsChanged();
        } catch (RuntimeException ex) {
          LOG.warn("tool catalogue listener failed", ex);
        }
      }
    }
  }

  private boolean sameServers(Map<String, ResolvedTool> next) {
    for (Map.Entry<String, ResolvedTool> e : next.entrySet()) {
      ResolvedTool old = table.get(e.getKey());
      if (old == null || old.connector() != e.getValue().connector()) {
        return false;
      }
    }
    return true;
  }
}
