package dev.briefcase.policy;

/**
 * Allow, Deny or RequireApproval with the kind of approval.
 *
 * @param effect the effect
 * @param approvalKind {@code local} or {@code mobile_signer} for {@link Effect#REQUIRE_APPROVAL},
 *     else {@code null}
 */
public record PolicyDecision(Effect effect, String approvalKind) {

  /** What the policy decided. */
  public enum Effect {
    ALLOW,
    DENY,
    REQUIRE_APPROVAL
  }

  public static final PolicyDecision ALLOW = new PolicyDecision(Effect.ALLOW, null);
  public static final PolicyDecision DENY = new PolicyDecision(Effect.DENY, null);

  public static PolicyDecision requireApproval(String kind) {
    return new PolicyDecision(Effect.REQUIRE_APPROVAL, kind);
  }
}
