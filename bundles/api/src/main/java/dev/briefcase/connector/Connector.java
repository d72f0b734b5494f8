package dev.briefcase.connector;

import dev.briefcase.tools.ToolSpec;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A plugin that contributes tools and executes calls to them. Register it as an OSGi service with
 * the property {@value #ID}; when two connectors claim one tool id, the higher service ranking
 * wins.
 *
 * <p>The kernel looks connectors up for each call and only calls {@link #execute} after every check
 * of the pipeline passed. A connector never reads the secret store itself and must honour the
 * manifest it is handed. Implementations are thread-safe; after deactivation they fail fast with
 * {@link ToolException#unavailable(String)}.
 */
@ConsumerType
public interface Connector {

  /** Service property naming the connector, e.g. {@code builtin}. */
  String ID = "connector.id";

  /**
   * Optional service property ({@code Long}): the id of the bundle a connector was registered for
   * when an extender registers it on another bundle's behalf (e.g. WASM tool bundles). The kernel
   * follows that bundle's lifecycle: once it is uninstalled, calls to the tools fail at once.
   */
  String OWNER_BUNDLE = "connector.owner.bundle.id";

  /** The tools this connector contributes; stable for the life of the service. */
  List<ToolSpec> tools();

  /**
   * Executes one authorised call.
   *
   * @throws SandboxViolationException when the call tried to leave what its manifest allows
   * @throws ToolException for any other failure, with a secret-free one-line message
   */
  ToolResult execute(ToolInvocation invocation) throws ToolException;
}
