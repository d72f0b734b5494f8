package dev.briefcase.connector.provider.internal;

import dev.briefcase.connector.ToolInvocation;

/**
 * The tool call running on this thread, as the quote connector got it: whether it carries a human
 * approval (the capability strategy asks when a VC's status is unknown in {@code require_approval}
 * mode, SPEC §8.4), and the invocation itself (the mint hands it to the kernel's payment step when
 * the provider answers 402, SPEC §14.5). Both live in this bundle; the kernel calls the strategy on
 * the connector's thread.
 */
final class ApprovedCall {
  private static final ThreadLocal<Boolean> APPROVED = ThreadLocal.withInitial(() -> false);
  private static final ThreadLocal<ToolInvocation> INVOCATION = new ThreadLocal<>();

  private ApprovedCall() {}

  static boolean approved() {
    return APPROVED.get();
  }

  /** The invocation the quote connector is running on this thread, or null. */
  static ToolInvocation invocation() {
    return INVOCATION.get();
  }

  /** Runs {@code work} as {@code invocation}: its approval and the invocation itself. */
  static <T, E extends Exception> T run(ToolInvocation invocation, Work<T, E> work) throws E {
    ToolInvocation before = INVOCATION.get();
    INVOCATION.set(invocation);
    try {
      return run(invocation.approved(), work);
    } finally {
      if (before != null) {
        INVOCATION.set(before);
      } else {
        INVOCATION.remove();
      }
    }
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
