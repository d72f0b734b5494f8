package dev.briefcase.policy;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A plugin that turns an operator's words into a proposed Cedar policy. It only proposes: the
 * kernel validates the proposal, shows a diff and applies it only after a human approves. Register
 * with the service property {@value #ID}.
 */
@ConsumerType
public interface PolicyCompiler {

  /** Service property naming the compiler, e.g. {@code keyword}. */
  String ID = "compiler.id";

  /**
   * Proposes a whole new policy text.
   *
   * @param prompt what the operator asked for, non-empty
   * @param basePolicyText the policy in force
   * @throws PolicyException {@code compile_failed} when nothing sensible can be proposed
   */
  String propose(String prompt, String basePolicyText) throws PolicyException;
}
