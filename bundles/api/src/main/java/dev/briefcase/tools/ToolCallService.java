package dev.briefcase.tools;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The tool-call pipeline (SPEC §2), provided by the kernel. Every call to {@link #call} writes a
 * receipt before it returns, whatever the outcome. Thread-safe.
 */
@ProviderType
public interface ToolCallService {

  /** All tools of all bound connectors, sorted by id. */
  List<ToolSpec> listTools();

  /**
   * Runs one call through resolve, schema, approval token, policy, risk, budget, execution, output
   * firewall and receipt. Never throws for bad input: the outcome says what happened.
   */
  ToolCallOutcome call(ToolCallRequest request);
}
