package dev.briefcase.policy;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Evaluates the active Cedar policy (SPEC §7) and swaps it atomically. Thread-safe; a decision
 * always uses one whole policy, never half of an old and half of a new one.
 */
@ProviderType
public interface PolicyEngine {

  /**
   * Derives Allow, Deny or RequireApproval(kind) from the actions {@code Call}, {@code
   * CallWithoutApproval}, {@code CallWithoutSigner}. Fails closed: any evaluation error is a Deny.
   */
  PolicyDecision decide(PolicyQuery query);

  /** The policy in force. */
  ActivePolicy active();

  /**
   * Checks a policy text against the Cedar schema without applying it.
   *
   * @throws PolicyException {@code invalid_cedar} with the first problem
   */
  void validate(String policyText) throws PolicyException;

  /**
   * Validates and applies a new policy, persists it and writes a {@code policy_update} receipt.
   *
   * @throws PolicyException {@code invalid_cedar}; the old policy stays in force
   */
  ActivePolicy apply(String policyText, String source) throws PolicyException;
}
