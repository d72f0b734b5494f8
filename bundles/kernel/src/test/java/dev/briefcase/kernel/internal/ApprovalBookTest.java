package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;

import dev.briefcase.tools.ApprovalRequest;
import java.time.Duration;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class ApprovalBookTest {
  private Fixture k;

  @Before
  public void setUp() throws Exception {
    k = new Fixture();
  }

  @After
  public void tearDown() {
    k.close();
  }

  @Test
  public void anApprovalGrantedBeforeARestartStillMatchesTheRetry() throws Exception {
    ApprovalRequest a =
        k.approvals.create(
            "note_add", "hash-1", "policy_requires_approval", "local", summary(), "session:s1");
    assertNull("nothing approved yet", k.approvals.approvedFor("note_add", "hash-1", "session:s1"));
    k.approvals.approve(a.id(), "cli");

    ApprovalBook restarted = new ApprovalBook(k.store, Duration.ofMinutes(10), k.clock);
    assertNotNull(restarted.approvedFor("note_add", "hash-1", "session:s1"));
    assertNull(restarted.approvedFor("note_add", "hash-1", "session:s2"));
    assertEquals(true, restarted.consume(a.id()));
    assertNull("used once", restarted.approvedFor("note_add", "hash-1", "session:s1"));
  }

  @Test
  public void aRejectedApprovalNeverMatches() throws Exception {
    ApprovalRequest a =
        k.approvals.create("note_add", "hash-2", "r", "local", summary(), "session:s1");
    k.approvals.deny(a.id(), "cli");
    assertNull(k.approvals.approvedFor("note_add", "hash-2", "session:s1"));
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode summary() {
    return CanonicalJson.MAPPER.createObjectNode();
  }
}
