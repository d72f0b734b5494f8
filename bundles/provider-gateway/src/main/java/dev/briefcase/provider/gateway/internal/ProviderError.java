package dev.briefcase.provider.gateway.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refused provider request: HTTP status, the stable code (body {@code {"error": code}} and {@code
 * x-briefcase-error}) and extra headers. The message is a short reason for a DEBUG log; it never
 * holds a token, proof, key or secret.
 */
final class ProviderError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final transient Map<String, String> headers = new LinkedHashMap<>();
  private transient byte[] body;

  ProviderError(int status, String code, String reason) {
    super(reason, null, false, false);
    this.status = status;
    this.code = code;
  }

  ProviderError header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** A body other than {@code {"error": code}} (the 402 challenge's {@code {}}). */
  ProviderError body(byte[] json) {
    this.body = json;
    return this;
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  Map<String, String> headers() {
    return headers;
  }

  byte[] body() {
    return body;
  }
}
