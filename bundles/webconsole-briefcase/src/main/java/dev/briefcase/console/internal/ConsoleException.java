package dev.briefcase.console.internal;

import dev.briefcase.error.BriefcaseException;

/**
 * A refused console or shell action the console itself decides: {@code unavailable} when the kernel
 * service is not bound, {@code invalid_request} for bad input, {@code chain_broken}. The kernel's
 * own refusals ({@code not_found}, {@code core_bundle}, {@code already_decided}, …) reach the pages
 * and commands as the services' exceptions; both are caught once as {@link BriefcaseException}.
 */
final class ConsoleException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  ConsoleException(String code, String message) {
    super(code, message);
  }
}
