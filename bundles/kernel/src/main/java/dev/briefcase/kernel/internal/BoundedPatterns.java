package dev.briefcase.kernel.internal;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * JSON Schema {@code pattern} and {@code patternProperties} matching with a time limit.
 *
 * <p>A tool's schema comes from a plugin (a sandboxed WASM plugin's too) and its arguments from the
 * agent: a backtracking pattern such as {@code ^(a+)+$} against 40 crafted characters would hold a
 * kernel thread for hours with the JDK engine. The same engine is kept (JSON Schema patterns keep
 * their meaning), but the text it reads counts its reads and gives up once the validation's
 * deadline has passed, so one call's argument validation spends at most {@link #BUDGET_MILLIS} in
 * pattern matching, and the call is refused {@code invalid_args}.
 */
final class BoundedPatterns implements RegularExpressionFactory {
  /** The pattern-matching time one argument validation may spend, all patterns together. */
  static final long BUDGET_MILLIS = 250;

  /** How many character reads pass between two clock readings. */
  private static final int CHECK_EVERY = 4096;

  private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();

  /** Thrown inside the schema library when the budget is spent; caught by {@link #within}. */
  static final class TooSlow extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooSlow() {
      super("pattern matching exceeded its time limit", null, false, false);
    }
  }

  @Override
  public RegularExpression getRegularExpression(String regex) {
    Pattern pattern = Pattern.compile(regex);
    return value -> pattern.matcher(new Clocked(value, deadline())).find();
  }

  /**
   * Runs {@code validation} with a fresh budget on this thread.
   *
   * @throws TooSlow when its pattern matching took longer than the budget
   */
  static <T> T within(Supplier<T> validation) {
    long[] previous = DEADLINE.get();
    DEADLINE.set(new long[] {System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS)});
    try {
      return validation.get();
    } finally {
      if (previous == null) {
        DEADLINE.remove();
      } else {
        DEADLINE.set(previous);
      }
    }
  }

  private static long deadline() {
    long[] d = DEADLINE.get();
    // a match outside within() (the library checking a schema) gets a budget of its own
    return d != null ? d[0] : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS);
  }

  /** The text a matcher reads, checking the clock every few thousand reads. */
  private static final class Clocked implements CharSequence {
    private final String text;
    private final long deadline;
    private int reads;

    Clocked(String text, long deadline) {
      this.text = text;
      this.deadline = deadline;
    }

    @Override
    public char charAt(int index) {
      if (++reads % CHECK_EVERY == 0 && System.nanoTime() - deadline > 0) {
        throw new TooSlow();
      }
      return text.charAt(index);
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return text.subSequence(start, end);
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
