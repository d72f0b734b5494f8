package dev.briefcase.sandbox.internal;

/**
 * One tool's {@code kv_get}/{@code kv_put} namespace (SPEC §11) with a byte quota over keys plus
 * values. Implementations are thread-safe; over quota is a {@link Violation} that leaves the
 * namespace unchanged.
 */
interface KvStore {

  /** SPEC §11: 1 MiB per tool. */
  long DEFAULT_QUOTA = 1L << 20;

  /** The stored JSON text, or {@code null}. */
  String get(String key);

  /** Stores {@code value} (JSON text) under {@code key}. */
  void put(String key, String value);

  /** UTF-8 byte length, the unit of the quota. */
  static long bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}
