package dev.briefcase.sandbox.internal;

import java.util.HashMap;
import java.util.Map;

/** A {@link KvStore} in memory, for a {@link WasmTool} built without a store (tests, benches). */
final class MemoryKv implements KvStore {

  private final long quota;
  private final Map<String, String> values = new HashMap<>();
  private long used;

  MemoryKv(long quota) {
    this.quota = quota;
  }

  @Override
  public synchronized String get(String key) {
    return values.get(key);
  }

  @Override
  public synchronized void put(String key, String value) {
    String old = values.get(key);
    long delta = KvStore.bytes(value) - (old == null ? -KvStore.bytes(key) : KvStore.bytes(old));
    if (used + delta > quota) {
      throw new Violation("kv quota exceeded");
    }
    values.put(key, value);
    used += delta;
  }
}
