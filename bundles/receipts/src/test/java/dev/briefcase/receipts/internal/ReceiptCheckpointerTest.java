package dev.briefcase.receipts.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.store.internal.SqliteStore;
import java.io.BufferedReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Signing checkpoints into the chain, and verifying exports of it offline. */
public class ReceiptCheckpointerTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ObjectMapper mapper = new ObjectMapper();
  private final FakeKeys keys = new FakeKeys();
  private SqliteStore store;
  private SqliteReceiptLog log;
  private ReceiptCheckpointer checkpointer;
  private long now = 1_000_000;

  @Before
  public void open() {
    store = new SqliteStore(tmp.getRoot().toPath().resolve("briefcase.db"));
    log = new SqliteReceiptLog(store, SqliteReceiptLog.DEFAULT_MAX_BATCH, 30_000);
    checkpointer = new ReceiptCheckpointer(log, () -> keys, 5, 60_000, 10_000);
  }

  @After
  public void close() {
    log.close();
    store.close();
  }

  private Receipt call(int i) {
    ObjectNode e = mapper.createObjectNode();
    e.put("kind", "tool_call");
    e.put("ts", "2026-12-07T00:00:00Z");
    e.put("tool_id", "file_read");
    e.put("decision", "allow");
    e.put("n", i);
    Receipt r = log.append(e);
    checkpointer.tick(now);
    return r;
  }

  /** The chain as the database holds it, with no checkpoint signed for the export. */
  private String export() throws Exception {
    log.beforeExport(null);
    StringWriter out = new StringWriter();
    log.export(0, out);
    return out.toString();
  }

  private OfflineVerifier.Result verify(String export, FakeKeys... with) throws Exception {
    List<Checkpoint.VerificationKey> ks = new ArrayList<>();
    for (FakeKeys k : with) {
      ks.add(Checkpoint.verificationKey(k.publicJwk()));
    }
    return OfflineVerifier.verify(
        new BufferedReader(new StringReader(export)), ks, false, OfflineVerifier.TAIL_BOUND);
  }

  @Test
  public void aForgedShortChainWithoutCheckpointFailsOfflineByDefault() throws Exception {
    // anyone can write well-formed receipts and hash them; only a checkpoint needs the key
    StringBuilder forged = new StringBuilder();
    String prev = ReceiptChain.GENESIS_HASH_HEX;
    for (int id = 1; id <= 3; id++) {
      ObjectNode event =
          mapper
              .createObjectNode()
              .put("kind", "tool_call")
              .put("ts", "2026-12-07T00:00:00Z")
              .put("tool_id", "payments_send")
              .put("decision", "allow");
      String hash = ReceiptChain.hashEvent(prev, event);
      ObjectNode line = mapper.createObjectNode().put("id", id).put("ts", "2026-12-07T00:00:00Z");
      line.put("prev_hash_hex", prev).put("hash_hex", hash).set("event", event);
      forged.append(line).append('\n');
      prev = hash;
    }
    forged.append(mapper.createObjectNode().put("head_hash_hex", prev).put("count", 3));
    forged.append('\n');
    List<Checkpoint.VerificationKey> ks = List.of(Checkpoint.verificationKey(keys.publicJwk()));

    OfflineVerifier.Result r =
        OfflineVerifier.verify(new BufferedReader(new StringReader(forged.toString())), ks, false);
    assertFalse(r.ok());
    assertEquals(OfflineVerifier.UNSIGNED_TAIL, r.reason());
    assertEquals(Long.valueOf(1), r.firstBadId());
    assertEquals(3, r.unsignedTail());
    // accepted only when the caller says so, and then reported as uncovered
    OfflineVerifier.Result allowed = verifyTail(forged.toString(), OfflineVerifier.TAIL_ANY);
    assertTrue(allowed.ok());
    assertEquals(0, allowed.checkpointsVerified());
    assertEquals(3, allowed.unsignedTail());
  }

  @Test
  public void anExportHasTheHeadCheckpointedFirstAndVerifiesByDefault() throws Exception {
    plain(3);
    StringWriter out = new StringWriter();
    log.export(0, out);
    OfflineVerifier.Result r =
        OfflineVerifier.verify(
            new BufferedReader(new StringReader(out.toString())),
            List.of(Checkpoint.verificationKey(keys.publicJwk())),
            false);
    assertTrue(r.detail(), r.ok());
    assertEquals(1, r.checkpointsVerified());
    assertEquals(3, r.lastCheckpointSeq());
    assertEquals(0, r.unsignedTail());
    // the head already is that checkpoint: a second export signs nothing new
    int signed = keys.signatures;
    StringWriter again = new StringWriter();
    log.export(0, again);
    assertEquals(signed, keys.signatures);
    assertEquals(out.toString(), again.toString());
  }

  @Test
  public void anExportOverARefusedChainSignsNothingAndShowsTheTail() throws Exception {
    // 20 receipts found at start with no checkpoint: the export cannot be covered
    plain(20);
    ReceiptCheckpointer again = new ReceiptCheckpointer(log, () -> keys, 5, 60_000, 10_000);
    StringWriter out = new StringWriter();
    log.export(0, out);
    assertEquals(0, keys.signatures);
    assertEquals("checkpoint_gap", again.refused());
    OfflineVerifier.Result r =
        OfflineVerifier.verify(
            new BufferedReader(new StringReader(out.toString())),
            List.of(Checkpoint.verificationKey(keys.publicJwk())),
            false);
    assertEquals(OfflineVerifier.UNSIGNED_TAIL, r.reason());
  }

  /** Edits one receipt's event and recomputes every hash after it, as a database writer can. */
  private String rechain(String export, long id, Consumer<ObjectNode> edit) throws Exception {
    StringBuilder out = new StringBuilder();
    String prev = ReceiptChain.GENESIS_HASH_HEX;
    for (String line : export.split("\n")) {
      ObjectNode node = (ObjectNode) mapper.readTree(line);
      if (!node.has("id")) {
        node.put("head_hash_hex", prev);
      } else {
        ObjectNode event = (ObjectNode) node.get("event");
        if (node.get("id").asLong() == id) {
          edit.accept(event);
        }
        node.put("prev_hash_hex", prev);
        prev = ReceiptChain.hashEvent(prev, event);
        node.put("hash_hex", prev);
      }
      out.append(node).append('\n');
    }
    return out.toString();
  }

  private void fourteenReceipts() {
    for (int i = 1; i <= 12; i++) {
      call(i);
    }
  }

  @Test
  public void everyNReceiptsACheckpointIsSignedIntoTheChain() throws Exception {
    fourteenReceipts();
    List<Receipt> all = log.list(100, 0);
    // 12 calls and two checkpoints: id 6 over seq 5, id 12 over seq 11 (ids 7..11 are calls)
    assertEquals(14, all.size());
    JsonNode first = all.get(all.size() - 6).event();
    assertTrue(Checkpoint.isCheckpoint(first));
    assertEquals(5, first.get("seq").asLong());
    assertEquals(all.get(all.size() - 5).hashHex(), first.get("head_hash_hex").asText());
    assertTrue(Checkpoint.isCheckpoint(all.get(all.size() - 12).event()));
    assertTrue(log.verify().ok());

    OfflineVerifier.Result r = verify(export(), keys);
    assertTrue(r.detail(), r.ok());
    assertEquals(14, r.count());
    assertEquals(2, r.checkpointsVerified());
    assertEquals(11, r.lastCheckpointSeq());
    assertEquals(2, r.unsignedTail());
  }

  @Test
  public void aRechainedEditFailsAtTheFirstCheckpointAfterIt() throws Exception {
    fourteenReceipts();
    String export = export();
    OfflineVerifier.Result early = verify(rechain(export, 3, e -> e.put("decision", "deny")), keys);
    assertFalse(early.ok());
    assertEquals("checkpoint_mismatch", early.reason());
    assertEquals(Long.valueOf(6), early.firstBadId());

    OfflineVerifier.Result late = verify(rechain(export, 8, e -> e.put("tool_id", "x")), keys);
    assertEquals("checkpoint_mismatch", late.reason());
    assertEquals(Long.valueOf(12), late.firstBadId());

    // an edit after the last checkpoint is only the unsigned tail: nothing can catch it
    OfflineVerifier.Result tail = verify(rechain(export, 14, e -> e.put("n", 99)), keys);
    assertTrue(tail.ok());
    assertEquals(2, tail.unsignedTail());
  }

  @Test
  public void rewritingTheCheckpointToo_breaksItsSignature() throws Exception {
    fourteenReceipts();
    String export = export();
    // rechain once to learn the new hash of receipt 5, then put it into the checkpoint
    String edited = rechain(export, 2, e -> e.put("decision", "deny"));
    String newHead5 = null;
    for (String line : edited.split("\n")) {
      JsonNode n = mapper.readTree(line);
      if (n.path("id").asLong() == 5) {
        newHead5 = n.get("hash_hex").asText();
      }
    }
    String forged = newHead5;
    String both =
        rechain(
            rechain(export, 2, e -> e.put("decision", "deny")),
            6,
            e -> e.put("head_hash_hex", forged));
    OfflineVerifier.Result r = verify(both, keys);
    assertEquals("checkpoint_bad_signature", r.reason());
    assertEquals(Long.valueOf(6), r.firstBadId());
  }

  @Test
  public void aWrongKeyFails() throws Exception {
    fourteenReceipts();
    OfflineVerifier.Result r = verify(export(), new FakeKeys());
    assertFalse(r.ok());
    assertEquals("checkpoint_unknown_key", r.reason());
    assertEquals(Long.valueOf(6), r.firstBadId());
  }

  @Test
  public void plainChainDefectsAndTruncationAreCaught() throws Exception {
    fourteenReceipts();
    String export = export();
    // an edit that is not re-chained
    String edited = export.replaceFirst("\"n\":3", "\"n\":4");
    OfflineVerifier.Result r = verify(edited, keys);
    assertEquals("hash_mismatch", r.reason());
    assertEquals(Long.valueOf(3), r.firstBadId());
    // a dropped line
    String[] lines = export.split("\n");
    StringBuilder gap = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      if (i != 8) {
        gap.append(lines[i]).append('\n');
      }
    }
    assertEquals("chain_broken", verify(gap.toString(), keys).reason());
    // cut before the trailer
    String cut = export.substring(0, export.lastIndexOf("{\"head_hash_hex\""));
    assertEquals("trailer_missing", verify(cut, keys).reason());
  }

  @Test
  public void aMissingSignerDoesNotStopReceiptsAndTheCheckpointIsRetried() throws Exception {
    keys.down = true;
    for (int i = 1; i <= 7; i++) {
      assertNotNull(call(i));
    }
    assertEquals(7, log.list(100, 0).size());
    assertEquals(0, keys.signatures);
    keys.down = false;
    // before the retry delay nothing is tried again
    assertNull(checkpointer.tick(now + 5_000));
    Receipt c = checkpointer.tick(now + 10_000);
    assertNotNull(c);
    assertEquals(7, c.event().get("seq").asLong());
    OfflineVerifier.Result r = verify(export(), keys);
    assertTrue(r.detail(), r.ok());
    assertEquals(1, r.checkpointsVerified());
    assertEquals(0, r.unsignedTail());
  }

  @Test
  public void aSignerThatKeepsFailingIsTriedLessOften() throws Exception {
    keys.down = true;
    for (int i = 1; i <= 5; i++) {
      call(i);
    }
    assertEquals(1, keys.attempts);
    assertNull(checkpointer.tick(now + 10_000)); // second try, after retry
    assertEquals(2, keys.attempts);
    assertNull(checkpointer.tick(now + 20_000)); // the next waits 20 s, not 10
    assertEquals(2, keys.attempts);
    assertNull(checkpointer.tick(now + 30_000));
    assertEquals(3, keys.attempts);
    // a key directory arriving is tried at once
    keys.down = false;
    checkpointer.bindKeys(keys);
    assertNotNull(checkpointer.tick(now + 30_001));
  }

  @Test
  public void aChainRewrittenUnderTheLastCheckpointIsNotSignedAgain() throws Exception {
    fourteenReceipts();
    // the attacker re-chains the database from receipt 3 on, checkpoints included
    String forged = rechain(export(), 3, e -> e.put("decision", "deny"));
    log.close();
    store.write(
        c -> {
          try (java.sql.PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE receipts SET prev_hash_hex = ?, hash_hex = ?, event_json = ? WHERE id = ?")) {
            for (String line : forged.split("\n")) {
              JsonNode n = mapper.readTree(line);
              if (n.has("id")) {
                ps.setString(1, n.get("prev_hash_hex").asText());
                ps.setString(2, n.get("hash_hex").asText());
                ps.setString(3, ReceiptChain.canonicalize(n.get("event")));
                ps.setLong(4, n.get("id").asLong());
                ps.addBatch();
              }
            }
            ps.executeBatch();
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
          return null;
        });
    log = new SqliteReceiptLog(store, SqliteReceiptLog.DEFAULT_MAX_BATCH, 30_000);
    assertTrue("a bare hash chain cannot tell", log.verify().ok());
    ReceiptCheckpointer again = new ReceiptCheckpointer(log, () -> keys, 5, 60_000, 10_000);
    for (int i = 0; i < 6; i++) {
      log.append(mapper.createObjectNode().put("kind", "x").put("ts", "2026-12-07T00:00:00Z"));
    }
    int before = keys.signatures;
    assertNull(again.tick(now));
    assertEquals(before, keys.signatures);
    assertEquals("checkpoint_mismatch", verify(export(), keys).reason());
  }

  @Test
  public void aQuietLogIsCheckpointedAfterTheInterval() throws Exception {
    call(1);
    call(2);
    assertNull(checkpointer.tick(now + 59_000));
    Receipt c = checkpointer.tick(now + 60_000);
    assertNotNull(c);
    assertEquals(2, c.event().get("seq").asLong());
    // nothing new: no checkpoint of the checkpoint
    assertNull(checkpointer.tick(now + 600_000));
  }

  @Test
  public void aRestartFindsTheLastCheckpoint() throws Exception {
    fourteenReceipts();
    ReceiptCheckpointer again = new ReceiptCheckpointer(log, () -> keys, 5, 60_000, 10_000);
    // 12 is the last checkpoint over seq 11; 13 and 14 are new: 3 more make it due
    assertNull(again.tick(now));
    for (int i = 0; i < 3; i++) {
      ObjectNode e = mapper.createObjectNode().put("kind", "x").put("ts", "2026-12-07T00:00:00Z");
      log.append(e);
    }
    Receipt c = again.tick(now);
    assertNotNull(c);
    assertEquals(17, c.event().get("seq").asLong());
  }

  private OfflineVerifier.Result verifyTail(String export, long maxTail) throws Exception {
    return OfflineVerifier.verify(
        new BufferedReader(new StringReader(export)),
        List.of(Checkpoint.verificationKey(keys.publicJwk())),
        false,
        maxTail);
  }

  private void plain(int n) {
    for (int i = 0; i < n; i++) {
      log.append(mapper.createObjectNode().put("kind", "x").put("ts", "2026-12-07T00:00:00Z"));
    }
  }

  /** Signs a checkpoint over the head by hand, as a signer that was away for a while would. */
  private void signHead(long every) throws Exception {
    Receipt head = log.list(1, 0).get(0);
    String kid = Checkpoint.verificationKey(keys.publicJwk()).kid();
    Checkpoint.Fields unsigned =
        new Checkpoint.Fields(head.id(), head.hashHex(), head.id(), kid, "EdDSA", "", every);
    byte[] sig = keys.sign("identity", Checkpoint.statementBytes(unsigned));
    Checkpoint.Fields signed =
        new Checkpoint.Fields(
            head.id(),
            head.hashHex(),
            head.id(),
            kid,
            "EdDSA",
            java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(sig),
            every);
    log.append(Checkpoint.event("2026-12-07T00:00:00Z", signed));
  }

  /** Replaces every row of the database with the receipts of {@code export}, ids renumbered. */
  private void replaceDatabase(List<ObjectNode> events) {
    log.close();
    store.write(
        c -> {
          try (java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM receipts");
          }
          try (java.sql.PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO receipts (id, ts, prev_hash_hex, hash_hex, event_json)"
                      + " VALUES (?, ?, ?, ?, ?)")) {
            String prev = ReceiptChain.GENESIS_HASH_HEX;
            long id = 0;
            for (ObjectNode e : events) {
              String hash = ReceiptChain.hashEvent(prev, e);
              ps.setLong(1, ++id);
              ps.setString(2, "2026-12-07T00:00:00Z");
              ps.setString(3, prev);
              ps.setString(4, hash);
              ps.setString(5, ReceiptChain.canonicalize(e));
              ps.addBatch();
              prev = hash;
            }
            ps.executeBatch();
          }
          return null;
        });
    log = new SqliteReceiptLog(store, SqliteReceiptLog.DEFAULT_MAX_BATCH, 30_000);
  }

  @Test
  public void deletedCheckpointsAndARechainedChainAreNotSignedAfterARestart() throws Exception {
    for (int i = 1; i <= 30; i++) {
      call(i);
    }
    assertTrue(verify(export(), keys).ok());
    // the attacker edits receipt 3, deletes every checkpoint row, renumbers and re-chains
    List<ObjectNode> kept = new ArrayList<>();
    for (String line : export().split("\n")) {
      JsonNode n = mapper.readTree(line);
      if (n.has("id") && !Checkpoint.isCheckpoint(n.get("event"))) {
        ObjectNode e = (ObjectNode) n.get("event").deepCopy();
        if (n.get("id").asLong() == 3) {
          e.put("decision", "deny");
        }
        kept.add(e);
      }
    }
    replaceDatabase(kept);
    assertTrue("a bare hash chain cannot tell", log.verify().ok());
    ReceiptCheckpointer again = new ReceiptCheckpointer(log, () -> keys, 5, 60_000, 10_000);
    plain(6);
    int before = keys.signatures;
    assertNull(again.tick(now));
    assertNull(again.tick(now + 3_600_000));
    assertEquals(before, keys.signatures);
    assertEquals("checkpoint_gap", again.refused());
    // offline: 36 receipts, none vouched for; within the default bound (no signed cadence: 3 x
    // 256) they read as an unsigned tail, which the output says; --max-unsigned 0 refuses them
    OfflineVerifier.Result r = verify(export(), keys);
    assertTrue(r.ok());
    assertEquals(0, r.checkpointsVerified());
    assertEquals(36, r.unsignedTail());
    assertEquals("checkpoint_missing", verifyTail(export(), 0).reason());
    // and a longer chain without any checkpoint fails by default
    plain((int) Checkpoint.bound(0) - 35);
    r = verify(export(), keys);
    assertFalse(r.ok());
    assertEquals("checkpoint_missing", r.reason());
    assertEquals(Long.valueOf(1), r.firstBadId());
    assertTrue(verifyTail(export(), OfflineVerifier.TAIL_ANY).ok());
  }

  @Test
  public void aLastCheckpointThatDoesNotVerifyIsNotSignedOver() throws Exception {
    fourteenReceipts();
    // the attacker replaces the checkpoints' signatures (e.g. to re-point them) and re-chains
    List<ObjectNode> events = new ArrayList<>();
    for (String line : export().split("\n")) {
      JsonNode n = mapper.readTree(line);
      if (n.has("id")) {
        ObjectNode e = (ObjectNode) n.get("event").deepCopy();
        if (Checkpoint.isCheckpoint(e)) {
          e.put("signature", "A".repeat(86));
        }
        events.add(e);
      }
    }
    replaceDatabase(events);
    ReceiptCheckpointer again = new ReceiptCheckpointer(log, () -> keys, 5, 60_000, 10_000);
    plain(6);
    int before = keys.signatures;
    assertNull(again.tick(now));
    assertEquals(before, keys.signatures);
    assertEquals("chain_rewritten", again.refused());
  }

  @Test
  public void aStretchFoundAtStartLongerThanTheBoundIsNeverSigned() throws Exception {
    // 20 receipts no checkpoint covers (bound 3 x 5 = 15) were written before this start: a
    // checkpoint now would vouch for whatever an earlier writer left there
    plain(20);
    ReceiptCheckpointer again = new ReceiptCheckpointer(log, () -> keys, 5, 60_000, 10_000);
    assertNull(again.tick(now));
    assertEquals("checkpoint_gap", again.refused());
    assertEquals(0, keys.signatures);
  }

  @Test
  public void aStretchThisProcessAppendedDuringASignerOutageIsSigned() throws Exception {
    // the signer was away while this process appended 20 receipts itself: it witnessed them, so it
    // signs again once the signer is back (the offline verifier still reports the stretch)
    plain(20);
    assertNotNull(checkpointer.tick(now));
    assertNull(checkpointer.refused());
    assertEquals(1, keys.signatures);
  }

  @Test
  public void offlineAGapBetweenCheckpointsFailsNamingTheRange() throws Exception {
    plain(3);
    signHead(5);
    plain(16);
    signHead(5);
    OfflineVerifier.Result r = verify(export(), keys);
    assertFalse(r.ok());
    assertEquals("checkpoint_gap", r.reason());
    assertEquals(Long.valueOf(21), r.firstBadId());
    assertTrue(r.detail(), r.detail().contains("receipts 4 to 20 (16)"));
  }

  @Test
  public void offlineTheSameStretchIsHonestForALargerSignedCadence() throws Exception {
    // 16 receipts between checkpoints of a cadence of 6 (bound 18)
    plain(3);
    signHead(6);
    plain(16);
    signHead(6);
    assertTrue(verify(export(), keys).ok());
  }

  @Test
  public void offlineAFreshChainWithoutCheckpointIsAnAllowedUnsignedTail() throws Exception {
    plain(4);
    OfflineVerifier.Result r = verify(export(), keys);
    assertTrue(r.detail(), r.ok());
    assertEquals(0, r.checkpointsVerified());
    assertEquals(4, r.unsignedTail());
    assertEquals(Checkpoint.bound(0), r.tailLimit());
    assertEquals("checkpoint_missing", verifyTail(export(), 0).reason());
  }

  @Test
  public void offlineATailLongerThanTheBoundFails() throws Exception {
    plain(2);
    signHead(5);
    plain(16);
    OfflineVerifier.Result r = verify(export(), keys);
    assertEquals("unsigned_tail_too_long", r.reason());
    assertEquals(Long.valueOf(3), r.firstBadId());
    assertTrue(verifyTail(export(), OfflineVerifier.TAIL_ANY).ok());
    assertTrue(verifyTail(export(), 16).ok());
  }
}
