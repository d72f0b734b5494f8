package dev.briefcase.policy;

import dev.briefcase.error.BriefcaseException;

/** A refused policy text or compilation, with a stable code such as {@value #INVALID_CEDAR}. */
public class PolicyException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The policy text is not valid Cedar or does not validate against the schema. */
  public static final String INVALID_CEDAR = "invalid_cedar";

  public PolicyException(String code, String message) {
    super(code, message);
  }
}
