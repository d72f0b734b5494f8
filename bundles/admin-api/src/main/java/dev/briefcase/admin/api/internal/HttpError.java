package dev.briefcase.admin.api.internal;

import dev.briefcase.error.BriefcaseException;

/**
 * An error answer the admin API itself decides (routing, request checks), with a stable code (SPEC
 * §18 {@code {code, message}}). Its HTTP status comes from the one table, {@link ErrorStatus}, as
 * for the services' own exceptions, so the same code answers the same status on every route.
 */
final class HttpError extends Exception {
  private static final long serialVersionUID = 1L;

  final String code;

  HttpError(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  static HttpError badRequest(String code, String message) {
    return new HttpError(code, message);
  }

  static HttpError notFound() {
    return new HttpError("not_found", "no such route");
  }

  static HttpError unavailable(String what) {
    return new HttpError(BriefcaseException.BACKEND_UNAVAILABLE, what + " is not available");
  }

  static HttpError wrongMethod(String expected) {
    return new HttpError("method_not_allowed", "use " + expected);
  }
}
