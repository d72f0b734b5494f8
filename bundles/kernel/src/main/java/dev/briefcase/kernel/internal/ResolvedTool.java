package dev.briefcase.kernel.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.plugindirectory.Plugin;
import dev.briefcase.tools.ToolSpec;

/**
 * A tool and the connector that serves it, as found for one call.
 *
 * @param spec the tool
 * @param connector the owner's highest-ranked connector that contributes it
 * @param connectorId the connector's {@code connector.id}
 * @param plugin the connector as bound in the registry's plugin directory (calls running on it)
 * @param owner the bundle symbolic name that owns the tool id (manifests are keyed by it)
 */
record ResolvedTool(
    ToolSpec spec,
    Connector connector,
    String connectorId,
    Plugin<ToolRegistry.Slot> plugin,
    String owner) {

  /** The registry's bookkeeping of the connector. */
  ToolRegistry.Slot slot() {
    return plugin.service();
  }
}
