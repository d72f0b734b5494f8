package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import dev.briefcase.connector.ToolInvocation;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/**
 * What hangs on a running call is released when it ends, also when it is hung on after the end (a
 * connector thread still finishing a payment), so no payment row stays marked in flight.
 */
public class CallsInFlightTest {

  private static ToolInvocation invocation() {
    return new ToolInvocation("t", java.util.Map.of(), null, null);
  }

  @Test
  public void anEndActionRunsOnceWhenTheCallEnds() {
    CallsInFlight calls = new CallsInFlight();
    ToolInvocation inv = invocation();
    CallsInFlight.Call call = new CallsInFlight.Call("t", "r", "read", "h", null);
    calls.enter(inv, call);
    AtomicInteger ran = new AtomicInteger();
    call.onEnd(ran::incrementAndGet);
    assertEquals(0, ran.get());
    calls.leave(inv);
    calls.leave(inv);
    assertEquals(1, ran.get());
    assertNull(calls.find(inv));
  }

  @Test
  public void anEndActionAddedAfterTheEndRunsAtOnce() {
    CallsInFlight calls = new CallsInFlight();
    ToolInvocation inv = invocation();
    CallsInFlight.Call call = new CallsInFlight.Call("t", "r", "read", "h", null);
    calls.enter(inv, call);
    calls.leave(inv);
    AtomicInteger ran = new AtomicInteger();
    call.onEnd(ran::incrementAndGet);
    assertEquals(1, ran.get());
  }
}
