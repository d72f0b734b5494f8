package dev.briefcase.secrets;

import java.util.Arrays;
import java.util.Objects;

/**
 * A secret value that never prints itself: {@link #toString()} is {@code [REDACTED]}. Use {@link
 * #reveal()} only where the value is about to be used, never to log or return it.
 */
public final class Sensitive<T> {
  private final T value;

  private Sensitive(T value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  public static <T> Sensitive<T> of(T value) {
    return new Sensitive<>(value);
  }

  /** The value itself. */
  public T reveal() {
    return value;
  }

  /** Overwrites a byte-array value in place; later reveals see zeros. */
  public void wipe() {
    if (value instanceof byte[] bytes) {
      Arrays.fill(bytes, (byte) 0);
    } else if (value instanceof char[] chars) {
      Arrays.fill(chars, '\0');
    }
  }

  @Override
  public String toString() {
    return "[REDACTED]";
  }
}
