package dev.briefcase.risk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.tools.ToolSpec;
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

  RiskVerdict assess(ToolSpec tool, JsonNode args);
}
