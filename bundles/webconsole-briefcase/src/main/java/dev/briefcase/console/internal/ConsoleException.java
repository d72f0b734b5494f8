package dev.briefcase.console.internal;

/**
 * A refused console or shell action with a stable code: the kernel's own code ({@code not_found},
 * {@code core_bundle}, {@code already_decided}, …) or {@code unavailable} when the kernel service
 * is not bound, {@code invalid_request} for bad input.
 */
final class ConsoleException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  ConsoleException(String code, String message) {
    super(message);
    this.code = code;
  }

  String code() {
    return code;
  }
}
