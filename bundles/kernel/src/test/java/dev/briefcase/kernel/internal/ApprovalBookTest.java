package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.approvals.ApprovalException;
import dev.briefcase.tools.ApprovalRequest;
import java.time.Duration;
import java.util.List;
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

    ApprovalBook restarted = new ApprovalBook(k.store, k.receipts, Duration.ofMinutes(10), k.clock);
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

  @Test
  public void everyDecisionWritesExactlyOneMetadataOnlyReceipt() throws Exception {
    ApprovalRequest a = k.approvals.create("note_add", "hash-3", "r", "local", summary(), null);
    ApprovalRequest b = k.approvals.create("note_add", "hash-4", "r", "local", summary(), null);
    k.approvals.approve(a.id(), "console:alice");
    k.approvals.approve(a.id(), "admin-api"); // idempotent: no second decision, no receipt
    k.approvals.deny(b.id(), "admin-api");
    k.approvals.deny(b.id(), "admin-api");

    List<ObjectNode> decisions = k.receipts.ofType("approval_decision");
    assertEquals(decisions.toString(), 2, decisions.size());
    ObjectNode approved = decisions.get(0);
    assertEquals(a.id(), approved.path("approval_id").asText());
    assertEquals("note_add", approved.path("tool_id").asText());
    assertEquals("approved", approved.path("decision").asText());
    assertEquals("console:alice", approved.path("actor").asText());
    assertEquals("hash-3", approved.path("call_hash").asText());
    assertTrue(approved.has("ts"));
    assertEquals("no summary or args in a receipt", false, approved.has("summary"));
    ObjectNode denied = decisions.get(1);
    assertEquals(b.id(), denied.path("approval_id").asText());
    assertEquals("denied", denied.path("decision").asText());
    assertEquals("admin-api", denied.path("actor").asText());
    assertEquals("console:alice", k.approvals.get(a.id()).orElseThrow().decidedBy());
  }

  @Test
  public void aDecisionWithoutItsReceiptIsUndone() throws Exception {
    ApprovalRequest a =
        k.approvals.create("note_add", "hash-5", "r", "local", summary(), "session:s1");
    k.receipts.failing = true;
    try {
      k.approvals.approve(a.id(), "cli");
      fail("approved without a receipt");
    } catch (ApprovalException e) {
      assertEquals("receipt_failed", e.code());
    }
    assertEquals(ApprovalRequest.PENDING, k.approvals.get(a.id()).orElseThrow().state());
    assertNull(k.approvals.approvedFor("note_add", "hash-5", "session:s1"));
    assertNull(k.approvals.usableToken(a.id(), "note_add", "hash-5", "session:s1"));
    assertEquals(0, k.receipts.ofType("approval_decision").size());

    k.receipts.failing = false;
    k.approvals.approve(a.id(), "cli");
    assertEquals(ApprovalRequest.APPROVED, k.approvals.get(a.id()).orElseThrow().state());
    assertEquals(1, k.receipts.ofType("approval_decision").size());
  }

  @Test
  public void anActorIsRequired() throws Exception {
    ApprovalRequest a = k.approvals.create("note_add", "hash-6", "r", "local", summary(), null);
    try {
      k.approvals.approve(a.id(), " ");
      fail("approved without an actor");
    } catch (ApprovalException e) {
      assertEquals("invalid_request", e.code());
    }
    assertEquals(ApprovalRequest.PENDING, k.approvals.get(a.id()).orElseThrow().state());
  }

  @Test
  public void onlyTheTokensHashIsStoredAndTheIdIsNoToken() throws Exception {
    ApprovalRequest a =
        k.approvals.create("note_add", "hash-7", "r", "local", summary(), "mcp:session:s1");
    String token = k.approvals.grant(a.id(), "cli").token().reveal();
    assertTrue(token.matches("[A-Za-z0-9_-]{43}"));
    String stored =
        k.store.read(
            c -> {
              try (var ps = c.prepareStatement("SELECT * FROM approvals WHERE id = ?")) {
                ps.setString(1, a.id());
                try (var rs = ps.executeQuery()) {
                  rs.next();
                  StringBuilder row = new StringBuilder();
                  for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.append(rs.getString(i)).append('|');
                  }
                  return row.toString();
                }
              }
            });
    assertTrue(stored.contains(ApprovalBook.tokenHash(token)));
    assertTrue("the token itself is not stored", !stored.contains(token));
    assertNotNull(k.approvals.usableToken(token, "note_add", "hash-7", "mcp:session:s1"));
    assertNull(k.approvals.usableToken(token, "note_add", "hash-7", "mcp:session:s2"));
    assertNull(k.approvals.usableToken(a.id(), "note_add", "hash-7", "mcp:session:s1"));
    assertNull(k.approvals.usableToken(token, "note_add", "hash-8", "mcp:session:s1"));
  }

  @Test
  public void floodLimitsAreConfigurable() throws Exception {
    ApprovalBook small =
        new ApprovalBook(
            k.store,
            k.receipts,
            Duration.ofMinutes(10),
            k.clock,
            new ApprovalBook.Limits(2, 60, 5));
    small.create("t", "h1", "r", "local", summary(), "p");
    small.create("t", "h1", "r", "local", summary(), "p"); // the same: no new row
    small.create("t", "h2", "r", "local", summary(), "p");
    try {
      small.create("t", "h3", "r", "local", summary(), "p");
      fail("a third pending approval was created");
    } catch (ApprovalException e) {
      assertEquals("too_many_pending_approvals", e.code());
    }
    assertEquals(2, small.pending().size());
  }

  private ApprovalBook book(ApprovalBook.Limits limits) {
    return new ApprovalBook(k.store, k.receipts, Duration.ofMinutes(10), k.clock, limits);
  }

  private static String refusal(ApprovalBook book, String callHash, String principal) {
    try {
      book.create("t", callHash, "r", "local", summary(), principal);
      return null;
    } catch (ApprovalException e) {
      return e.code();
    }
  }

  @Test
  public void pendingApprovalsPerDoorAreCappedAcrossSessions() throws Exception {
    ApprovalBook book = book(new ApprovalBook.Limits(20, 600, 100, 5, 600, 100));
    for (int i = 0; i < 5; i++) {
      assertNull(refusal(book, "h" + i, "mcp:session:s" + i));
    }
    // a new session is a new principal, but the same door: refused, nothing recorded
    assertEquals("too_many_pending_approvals", refusal(book, "h5", "mcp:session:s5"));
    assertEquals("too_many_pending_approvals", refusal(book, "h6", "mcp"));
    assertEquals(5, book.pending().size());
    // other doors, including one whose name merely starts with "mcp", keep their own cap
    assertNull(refusal(book, "h7", "admin-api:agent:a"));
    assertNull(refusal(book, "h8", "mcpx:session:s1"));
    // a decision frees a place
    book.deny(book.pending().get(book.pending().size() - 1).id(), "test");
    assertNull(refusal(book, "h9", "mcp:session:s9"));
  }

  @Test
  public void approvalCreationIsRateLimitedPerDoor() throws Exception {
    ApprovalBook book = book(new ApprovalBook.Limits(20, 600, 100, 100, 1, 3));
    for (int i = 0; i < 3; i++) {
      assertNull(refusal(book, "h" + i, "mcp:session:s" + i));
    }
    assertEquals("approval_rate_limited", refusal(book, "h3", "mcp:session:s3"));
    assertEquals(3, book.pending().size());
    assertNull(refusal(book, "h4", "admin-api"));
    k.clock.advance(Duration.ofMinutes(1));
    assertNull(refusal(book, "h5", "mcp:session:s5"));
    assertEquals("approval_rate_limited", refusal(book, "h6", "mcp:session:s6"));
  }

  @Test
  public void aDoorRefusalDoesNotSpendThePrincipalsToken() throws Exception {
    ApprovalBook book = book(new ApprovalBook.Limits(20, 1, 1, 100, 1, 1));
    assertNull(refusal(book, "h0", "mcp:session:other"));
    assertEquals("approval_rate_limited", refusal(book, "h1", "mcp:session:s1"));
    k.clock.advance(Duration.ofMinutes(1));
    // the door refilled one token; s1's own token was never taken
    assertNull(refusal(book, "h1", "mcp:session:s1"));
  }

  @Test
  public void theListingShowsEverythingTheDoorCapsLetIn() throws Exception {
    ApprovalBook book = book(new ApprovalBook.Limits(200, 60_000, 1000, 150, 60_000, 1000));
    for (int i = 0; i < 150; i++) {
      assertNull(refusal(book, "m" + i, "mcp:session:s" + i));
    }
    for (int i = 0; i < 10; i++) {
      assertNull(refusal(book, "a" + i, "admin-api:agent:a" + i));
    }
    List<ApprovalRequest> listed = book.pending();
    assertEquals(160, listed.size());
    assertEquals("newest first", "a9", listed.get(0).callHash());
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode summary() {
    return CanonicalJson.MAPPER.createObjectNode();
  }
}
