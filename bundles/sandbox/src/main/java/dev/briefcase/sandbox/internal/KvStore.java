package dev.briefcase.sandbox.internal;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One tool's {@code kv_get}/{@code kv_put} namespace with a byte quota (keys plus values). In
 * memory only for now: it lives as long as its {@link WasmTool} and is not persisted.
 */
final class KvStore {

  /** SPEC §11: 1 MiB per tool. */
  static final long DEFAULT_QUOTA = 1L << 20;

  private final long quota;
  private final Map<String, String> values = new HashMap<>();
  private long used;

  KvStore(long quota) {
    this.quota = quota;
  }

  synchronized String get(String key) {
    return values.get(key);
  }

  /** Stores {@code value}; over quota is a violation and leaves the store unchanged. */
  synchronized void put(String key, String value) {
    String old = values.get(key);
    long delta = bytes(value) - (old == null ? -bytes(key) : bytes(old));
    if (used + delta > quota) {
      throw new Violation("kv quota exceeded");
    }
    values.put(key, value);
    used += delta;
  }

  private static long bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
