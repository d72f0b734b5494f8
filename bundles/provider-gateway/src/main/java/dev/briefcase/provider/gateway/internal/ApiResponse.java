package dev.briefcase.provider.gateway.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/** One answer of the provider API: status, headers, a JSON body. */
record ApiResponse(int status, Map<String, String> headers, byte[] body) {
  static ApiResponse ok(byte[] body) {
    return new ApiResponse(200, new LinkedHashMap<>(), body);
  }

  static ApiResponse of(ProviderError e) {
    Map<String, String> headers = new LinkedHashMap<>(e.headers());
    headers.put("x-briefcase-error", e.code());
    byte[] body = e.body() != null ? e.body() : Json.error(e.code());
    return new ApiResponse(e.status(), headers, body);
  }
}
