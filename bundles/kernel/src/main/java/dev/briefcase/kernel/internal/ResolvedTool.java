package dev.briefcase.kernel.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.tools.ToolSpec;

/**
 * A tool and the connector that serves it, as found for one call.
 *
 * @param spec the tool
 * @param connector the owner's highest-ranked connector that contributes it
 * @param connectorId the connector's {@code connector.id}
 * @param slot the registry's bookkeeping of calls running on that connector
 * @param owner the bundle symbolic name that owns the tool id (manifests are keyed by it)
 */
record ResolvedTool(
    ToolSpec spec, Connector connector, String connectorId, ToolRegistry.Slot slot, String owner) {}
