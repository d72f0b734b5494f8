package dev.briefcase.policy.cedar.internal;

import com.cedarpolicy.AuthorizationEngine;
import dev.briefcase.policy.PolicyException;
import dev.briefcase.policy.PolicyQuery;
import java.time.Instant;

/**
 * A smoke check of the embedded Cedar runtime: loads the native library (through {@code
 * Bundle-NativeCode} inside a framework), validates the default policy against the schema and
 * decides two queries. Used by the OSGi test and handy from a shell; it keeps no state.
 */
public final class CedarNative {

  private CedarNative() {}

  /**
   * Runs the check.
   *
   * @return e.g. {@code cedar 4.x: echo=ALLOW write-fs=REQUIRE_APPROVAL/mobile_signer}
   * @throws IllegalStateException when the default policy does not validate
   */
  public static String selfCheck() {
    CedarValidator validator = new CedarValidator();
    CompiledPolicy policy;
    try {
      policy = validator.compile(CedarValidator.defaultPolicyText(), Instant.now(), 0);
    } catch (PolicyException e) {
      throw new IllegalStateException("default policy does not validate: " + e.getMessage(), e);
    }
    var read =
        policy.decide(new PolicyQuery(null, null, "echo", "read", 0, false, false, false, 12, 0));
    var write =
        policy.decide(
            new PolicyQuery(null, null, "fs.write", "write", 0, true, false, true, 12, 0));
    return "cedar "
        + AuthorizationEngine.getCedarLangVersion()
        + ": echo="
        + read.effect()
        + " write-fs="
        + write.effect()
        + "/"
        + write.approvalKind();
  }
}
