package dev.briefcase.admin.api.internal;

/** An error answer with a stable code (SPEC §18 {@code {code, message}}). */
final class HttpError extends Exception {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;

  HttpError(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static HttpError badRequest(String code, String message) {
    return new HttpError(400, code, message);
  }

  static HttpError notFound(String code, String message) {
    return new HttpError(404, code, message);
  }

  static HttpError unavailable(String what) {
    return new HttpError(503, "backend_unavailable", what + " is not available");
  }
}
