package dev.briefcase.policy.cedar.internal;

import static org.junit.Assert.assertEquals;

import dev.briefcase.policy.PolicyDecision;
import dev.briefcase.policy.PolicyQuery;
import org.junit.Test;

/**
 * Measures {@code decide()} and prints the figures (no timing assertions): uncached decisions cost
 * one JNI round trip per action evaluated, cached ones a map lookup.
 */
public class DecideLatencyTest {

  @Test
  public void measure() throws Exception {
    try (SqliteTestStore store = new SqliteTestStore()) {
      CedarPolicyEngine uncached = new CedarPolicyEngine(store, CedarPolicyEngineTest.config(0));
      CedarPolicyEngine cached = new CedarPolicyEngine(store, CedarPolicyEngineTest.config(4096));
      PolicyQuery read = CedarPolicyEngineTest.tool("echo", "read", 2_000, false, false);
      PolicyQuery write = CedarPolicyEngineTest.tool("fs.write", "write", 0, false, true);
      PolicyQuery admin = CedarPolicyEngineTest.tool("rm", "admin", 0, false, false);

      report("uncached read (2 Cedar calls)", uncached, read, PolicyDecision.ALLOW);
      report(
          "uncached write+fs (3 Cedar calls)",
          uncached,
          write,
          PolicyDecision.requireApproval("mobile_signer"));
      report("uncached admin (1 Cedar call)", uncached, admin, PolicyDecision.DENY);
      report("cached read", cached, read, PolicyDecision.ALLOW);

      // the default policy never reads agent, session, hour or spend: new sessions still hit
      int n = 5_000;
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        PolicyQuery q =
            new PolicyQuery(
                "agent", "session-" + i, "echo", "read", 2_000, false, false, false, i % 24, i);
        assertEquals(PolicyDecision.ALLOW, cached.decide(q));
      }
      System.out.printf(
          "decide() %-36s %8.2f us/call%n",
          "cached read, new session per call", (System.nanoTime() - start) / 1_000.0 / n);
    }
  }

  private static void report(
      String label, CedarPolicyEngine engine, PolicyQuery query, PolicyDecision expected) {
    for (int i = 0; i < 2_000; i++) {
      assertEquals(expected, engine.decide(query));
    }
    int n = 5_000;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      engine.decide(query);
    }
    double micros = (System.nanoTime() - start) / 1_000.0 / n;
    System.out.printf("decide() %-36s %8.2f us/call%n", label, micros);
  }
}
