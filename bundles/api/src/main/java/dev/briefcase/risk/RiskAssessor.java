package dev.briefcase.risk;

import dev.briefcase.tools.ToolSpec;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Advisory risk scoring (SPEC §20). The kernel asks every bound assessor before executing a call
 * that has no approval token; a verdict can only add a local approval. An assessor that throws or
 * is slow is ignored (it fails open because it can only tighten).
 */
@ConsumerType
public interface RiskAssessor {

  /** Service property naming the assessor. */
  String ID = "risk.id";

  /**
   * Scores one call.
   *
   * @param tool the tool called
   * @param args the validated arguments, an unmodifiable {@link dev.briefcase.json.JsonTree} object
   * @return the verdict; {@link RiskVerdict#NONE} when the call looks harmless
   */
  RiskVerdict assess(ToolSpec tool, Map<String, Object> args);
}
