package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.ToolInvocation;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * The invocations the pipeline is executing now, by identity, with the facts only the kernel knows
 * (budget category, call hash, the over-budget payment a human approved for it). A payment is made
 * only for a call found here, so a connector cannot pay outside a running call nor claim an
 * approval it does not carry. Thread-safe.
 */
@Component(service = CallsInFlight.class)
public final class CallsInFlight {

  /**
   * The terms of an over-budget payment as the approver saw them: the most it may cost, to whom, on
   * which rail. Stored in the approval's summary under {@code payment}.
   */
  record ApprovedPayment(long amountMicroUsd, String provider, String rail) {
    void putInto(ObjectNode summary) {
      ObjectNode p = summary.putObject("payment");
      p.put("amount_microusd", amountMicroUsd);
      p.put("provider", provider);
      p.put("rail", rail);
    }

    /** The terms in an approval's summary, or null when it approved no payment. */
    static ApprovedPayment of(ObjectNode summary) {
      JsonNode p = summary == null ? null : summary.get("payment");
      if (p == null
          || !p.path("amount_microusd").canConvertToLong()
          || !p.path("provider").isTextual()
          || !p.path("rail").isTextual()) {
        return null;
      }
      return new ApprovedPayment(
          p.get("amount_microusd").longValue(),
          p.get("provider").textValue(),
          p.get("rail").textValue());
    }

    boolean covers(long amount, String provider, String rail) {
      return amount <= amountMicroUsd && this.provider.equals(provider) && this.rail.equals(rail);
    }
  }

  /** What the kernel knows about one running call; payments of the call hang on it. */
  static final class Call {
    final String toolId;
    final String requestId;
    final String category;
    final String callHash;
    private ApprovedPayment approved;
    private final List<Runnable> onEnd = new ArrayList<>();
    private boolean ended;

    /**
     * @param approved the over-budget payment a human approved for this call, or null
     */
    Call(
        String toolId,
        String requestId,
        String category,
        String callHash,
        ApprovedPayment approved) {
      this.toolId = toolId;
      this.requestId = requestId;
      this.category = category;
      this.callHash = callHash;
      this.approved = approved;
    }

    /**
     * Whether the approval covers this payment; true once at most, so one approval lets one payment
     * past the budget.
     */
    synchronized boolean takeApproval(long amount, String provider, String rail) {
      if (approved == null || !approved.covers(amount, provider, rail)) {
        return false;
      }
      approved = null;
      return true;
    }

    /** Runs {@code action} when the call ends (at once when it already has). */
    void onEnd(Runnable action) {
      synchronized (this) {
        if (!ended) {
          onEnd.add(action);
          return;
        }
      }
      action.run();
    }

    private synchronized List<Runnable> ending() {
      ended = true;
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
