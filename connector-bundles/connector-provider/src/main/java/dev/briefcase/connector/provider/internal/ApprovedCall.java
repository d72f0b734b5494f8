package dev.briefcase.connector.provider.internal;

/**
 * Whether the tool call running on this thread carries a human approval: the quote connector knows
 * ({@code ToolInvocation.approved()}), the capability strategy asks when a VC's status is unknown
 * in {@code require_approval} mode (SPEC §8.4). Both live in this bundle; the kernel calls the
 * strategy on the connector's thread.
 */
final class ApprovedCall {
  private static final ThreadLocal<Boolean> APPROVED = ThreadLocal.withInitial(() -> false);

  private ApprovedCall() {}

  static boolean approved() {
    return APPROVED.get();
  }

  /** Runs {@code work} with this thread's call marked approved (or not), then restores it. */
  static <T, E extends Exception> T run(boolean approved, Work<T, E> work) throws E {
    boolean before = APPROVED.get();
    APPROVED.set(approved);
    try {
      return work.run();
    } finally {
      if (before) {
        APPROVED.set(true);
      } else {
        APPROVED.remove();
      }
    }
  }

  /** A piece of work that may throw. */
  interface Work<T, E extends Exception> {
    T run() throws E;
  }
}
