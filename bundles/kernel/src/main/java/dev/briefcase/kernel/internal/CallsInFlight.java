package dev.briefcase.kernel.internal;

import dev.briefcase.connector.ToolInvocation;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * The invocations the pipeline is executing now, by identity, with the facts only the kernel knows
 * (budget category, call hash, whether a human approved the call). A payment is made only for a
 * call found here, so a connector cannot pay outside a running call nor claim an approval it does
 * not carry. Thread-safe.
 */
@Component(service = CallsInFlight.class)
public final class CallsInFlight {

  /** What the kernel knows about one running call; payments of the call hang on it. */
  static final class Call {
    final String toolId;
    final String requestId;
    final String category;
    final String callHash;
    final boolean approved;
    private final List<Runnable> onEnd = new ArrayList<>();

    Call(String toolId, String requestId, String category, String callHash, boolean approved) {
      this.toolId = toolId;
      this.requestId = requestId;
      this.category = category;
      this.callHash = callHash;
      this.approved = approved;
    }

    /** Runs {@code action} when the call ends (at once when it already has). */
    synchronized void onEnd(Runnable action) {
      onEnd.add(action);
    }

    private synchronized List<Runnable> ending() {
      List<Runnable> out = new ArrayList<>(onEnd);
      onEnd.clear();
      return out;
    }
  }

  private final Map<ToolInvocation, Call> calls = new IdentityHashMap<>();

  synchronized void enter(ToolInvocation invocation, Call call) {
    calls.put(invocation, call);
  }

  synchronized Call find(ToolInvocation invocation) {
    return invocation == null ? null : calls.get(invocation);
  }

  void leave(ToolInvocation invocation) {
    Call call;
    synchronized (this) {
      call = calls.remove(invocation);
    }
    if (call != null) {
      call.ending().forEach(Runnable::run);
    }
  }
}
