package dev.briefcase.itests.attack;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Issue 10, "Receipts a third party can check": anyone who can write the database can rebuild a
 * hash chain that verifies. Signed checkpoints stop that: the kernel signs the chain head with the
 * identity key every N receipts or T seconds ({@code BRIEFCASE_RECEIPT_CHECKPOINT_EVERY=5}, {@code
 * _INTERVAL_SECONDS=2} here), and {@code briefcase receipts verify --offline FILE --key JWK} checks
 * an export with no daemon. An attacker with write access to {@code briefcase.db} edits a receipt
 * and re-chains every hash after it: the daemon's own verify still says ok, the offline
 * verification fails at the first checkpoint after the edit. Deleting the checkpoints as well does
 * not help: after a restart the daemon finds more receipts than the bound without a checkpoint and
 * signs nothing ({@code checkpoint_gap}), and the offline check finds none. A forged short chain
 * with no checkpoint fails offline ({@code unsigned_tail}); an export through the daemon has its
 * head checkpointed first and passes. A wrong key fails too; a missing signer stops no receipt.
 */
public class ReceiptCheckpointAttackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int EVERY = 5;
  private static final long DEADLINE_MS = 120_000;

  /**
   * The honest history both database attacks start from, written once by a stopped daemon and
   * copied for each: 18 calls with checkpoints over them, the identity key's public JWK and an
   * export taken by the daemon.
   */
  private static Path honestData;

  private static Path honestJwk;
  private static Path honestExport;

  @BeforeClass
  public static void writeAnHonestHistory() throws Exception {
    honestData = Files.createTempDirectory("briefcase-checkpoint-honest");
    Path work = Files.createTempDirectory("briefcase-checkpoint-honest-files");
    honestJwk = work.resolve("identity.jwk");
    honestExport = work.resolve("receipts.ndjson");
    try (Distribution d = distribution(honestData).start()) {
      long lastCall = calls(d, 12);
      awaitCheckpointCovering(d, lastCall);
      // and more after the first checkpoints, so an edit can fall between two of them
      lastCall = calls(d, EVERY + 1);
      awaitCheckpointCovering(d, lastCall);

      Distribution.CliResult pub = d.cli("keys", "export-public", "identity");
      assertEquals(pub.stderr(), 0, pub.exit());
      JsonNode key = JSON.readTree(pub.stdout());
      assertEquals("OKP", key.get("kty").asText());
      assertEquals("Ed25519", key.get("crv").asText());
      assertFalse("a public JWK never carries d", key.has("d"));
      Files.writeString(honestJwk, pub.stdout());

      Distribution.CliResult ex = d.cli("receipts", "export", "--out", honestExport.toString());
      assertEquals(ex.stderr(), 0, ex.exit());
    }
  }

  /** A copy of the honest data directory (no daemon runs on either) for one attack to edit. */
  private static Path copyOfHonestData(String name) throws Exception {
    Path copy = Files.createTempDirectory(name);
    try (Stream<Path> files = Files.walk(honestData)) {
      for (Path from : (Iterable<Path>) files::iterator) {
        Path to = copy.resolve(honestData.relativize(from).toString());
        if (Files.isDirectory(from)) {
          Files.createDirectories(to);
        } else if (Files.isRegularFile(from)) {
          Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return copy;
  }

  @Test
  public void aRechainedDatabaseFailsOfflineAtTheFirstCheckpointAfterTheEdit() throws Exception {
    Path data = copyOfHonestData("briefcase-checkpoint-attack");
    Path work = Files.createTempDirectory("briefcase-checkpoint-files");
    Path jwk = Files.copy(honestJwk, work.resolve("identity.jwk"));
    Path export = Files.copy(honestExport, work.resolve("receipts.ndjson"));
    List<JsonNode> original = lines(export);

    // the honest export verifies with no daemon running
    Distribution.CliResult ok = offline(data, export, jwk);
    assertEquals(ok.stdout() + ok.stderr(), 0, ok.exit());
    assertTrue(ok.stdout(), ok.stdout().contains("checkpoints verified"));
    assertTrue(ok.stdout(), ok.stdout().contains("unsigned tail"));
    assertFalse(ok.stdout(), ok.stdout().contains(" 0 checkpoints verified"));

    // a wrong key: the checkpoints are not signed by it
    Path wrong = work.resolve("wrong.jwk");
    Files.writeString(wrong, freshJwk());
    Distribution.CliResult bad = offline(data, export, wrong);
    assertEquals(bad.stdout() + bad.stderr(), 5, bad.exit());
    long firstCheckpoint = firstCheckpointCovering(original, 1);
    assertTrue(
        bad.stderr(), bad.stderr().contains("broken at id " + firstCheckpoint + ": checkpoint_"));

    // the attacker: edit receipt 3 in the database and re-chain every hash after it
    long edited = 3;
    rechainDatabase(data.resolve("briefcase.db"), edited);
    try (Distribution d = distribution(data).start()) {
      // a bare hash chain cannot tell: the daemon's verify walks the rebuilt chain and finds it
      // whole
      Distribution.Answer online = d.post("/v1/receipts/verify", "");
      assertEquals(online.body(), 200, online.status());
      assertTrue(online.body(), online.json().get("ok").asBoolean());
      // nor does the daemon vouch for it: with new receipts due, it refuses to sign over the edit
      long forgedHead = original.get(original.size() - 1).get("id").asLong();
      calls(d, 1);
      Poll.waitFor(
          () -> Files.readString(d.logFile).contains("(chain_rewritten:"),
          "a chain_rewritten warning",
          Duration.ofMillis(DEADLINE_MS));
      for (JsonNode r : d.get("/v1/receipts?limit=50").json().get("receipts")) {
        assertFalse(
            "a checkpoint signed over the rewritten chain: " + r,
            r.get("id").asLong() > forgedHead && "checkpoint".equals(kind(r)));
      }
      Distribution.CliResult ex = d.cli("receipts", "export", "--out", export.toString());
      assertEquals(ex.stderr(), 0, ex.exit());
    }
    long expectedBad = firstCheckpointCovering(original, edited);
    Distribution.CliResult caught = offline(data, export, jwk);
    assertEquals(caught.stdout() + caught.stderr(), 5, caught.exit());
    assertTrue(
        caught.stderr(),
        caught.stderr().contains("receipt chain broken at id " + expectedBad + ": checkpoint_"));

    // the same attack on the export file itself, after the first checkpoint: caught at the next
    Files.writeString(export, toText(original));
    long covered = original.get((int) firstCheckpoint - 1).get("event").get("seq").asLong();
    long later = -1;
    for (JsonNode r : original) {
      long id = r.get("id").asLong();
      if (id > firstCheckpoint && "tool_call".equals(r.get("event").path("type").asText())) {
        later = id;
        break;
      }
    }
    assertTrue("a call after the first checkpoint", later > covered);
    Files.writeString(export, toText(rechain(original, later)));
    long nextBad = firstCheckpointCovering(original, later);
    Distribution.CliResult caughtAgain = offline(data, export, jwk);
    assertEquals(caughtAgain.stderr(), 5, caughtAgain.exit());
    assertTrue(
        caughtAgain.stderr(),
        caughtAgain.stderr().contains("receipt chain broken at id " + nextBad + ": checkpoint_"));
  }

  @Test
  public void deletedCheckpointsAndARechainedDatabaseAreNotSignedAfterARestart() throws Exception {
    Path data = copyOfHonestData("briefcase-checkpoint-deleted");
    Path work = Files.createTempDirectory("briefcase-checkpoint-deleted-files");
    Path jwk = Files.copy(honestJwk, work.resolve("identity.jwk"));
    Path export = work.resolve("receipts.ndjson");
    // the attacker: edit receipt 3, delete every checkpoint row, renumber and re-chain
    int kept = rechainWithoutCheckpoints(data.resolve("briefcase.db"), 3);
    assertTrue("more receipts than the bound (3 x " + EVERY + ")", kept > 3 * EVERY);
    try (Distribution d = distribution(data).start()) {
      Distribution.Answer online = d.post("/v1/receipts/verify", "");
      assertEquals(online.body(), 200, online.status());
      assertTrue("a bare hash chain cannot tell", online.json().get("ok").asBoolean());
      calls(d, 1);
      Poll.waitFor(
          () -> Files.readString(d.logFile).contains("(checkpoint_gap:"),
          "a checkpoint_gap warning",
          Duration.ofMillis(DEADLINE_MS));
      // past the interval too: still nothing signed over the forged head
      calls(d, EVERY + 1);
      assertFalse(
          "a checkpoint signed over the forged chain",
          Poll.within(Duration.ofMillis(2_500), () -> hasCheckpoint(d)));
      Distribution.CliResult ex = d.cli("receipts", "export", "--out", export.toString());
      assertEquals(ex.stderr(), 0, ex.exit());
    }
    // offline, the review's check: not one receipt vouched for
    Distribution.CliResult strict =
        new Distribution(data)
            .cli(
                "receipts",
                "verify",
                "--offline",
                export.toString(),
                "--key",
                jwk.toString(),
                "--max-unsigned",
                "0");
    assertEquals(strict.stdout() + strict.stderr(), 5, strict.exit());
    assertTrue(strict.stderr(), strict.stderr().contains("at id 1: checkpoint_missing"));
    // by default nothing uncovered passes; accepted only on request, and reported as uncovered
    Distribution.CliResult byDefault = offline(data, export, jwk);
    assertEquals(byDefault.stdout() + byDefault.stderr(), 5, byDefault.exit());
    assertTrue(byDefault.stderr(), byDefault.stderr().contains("at id 1: unsigned_tail"));
    Distribution.CliResult lax =
        new Distribution(data)
            .cli(
                "receipts",
                "verify",
                "--offline",
                export.toString(),
                "--key",
                jwk.toString(),
                "--allow-unsigned-tail");
    assertEquals(lax.stdout() + lax.stderr(), 0, lax.exit());
    assertTrue(lax.stdout(), lax.stdout().contains("0 checkpoints verified"));
    assertTrue(lax.stdout(), lax.stdout().contains("no checkpoint yet"));
  }

  @Test
  public void aForgedShortChainFailsOfflineAndAFreshExportPasses() throws Exception {
    Path data = Files.createTempDirectory("briefcase-checkpoint-forged");
    Path work = Files.createTempDirectory("briefcase-checkpoint-forged-files");
    Path jwk = work.resolve("identity.jwk");
    Path export = work.resolve("receipts.ndjson");
    // a long cadence and interval: nothing but the export itself signs a checkpoint here
    try (Distribution d =
        distribution(data)
            .env("BRIEFCASE_RECEIPT_CHECKPOINT_EVERY", "1000")
            .env("BRIEFCASE_RECEIPT_CHECKPOINT_INTERVAL_SECONDS", "3600")
            .start()) {
      long last = calls(d, 3);
      Distribution.CliResult ex = d.cli("receipts", "export", "--out", export.toString());
      assertEquals(ex.stderr(), 0, ex.exit());
      // the identity key exists once the first checkpoint is signed: here, by the export
      Distribution.CliResult pub = d.cli("keys", "export-public", "identity");
      assertEquals(pub.stderr(), 0, pub.exit());
      Files.writeString(jwk, pub.stdout());
      List<JsonNode> exported = lines(export);
      JsonNode head = exported.get(exported.size() - 1);
      assertEquals("the export ends at a checkpoint", "checkpoint", kind(head));
      assertTrue(head.get("event").get("seq").asLong() >= last);
    }
    // the honest fresh export: fully covered, no unsigned tail
    Distribution.CliResult ok = offline(data, export, jwk);
    assertEquals(ok.stdout() + ok.stderr(), 0, ok.exit());
    assertFalse(ok.stdout(), ok.stdout().contains(" 0 checkpoints verified"));
    assertTrue(ok.stdout(), ok.stdout().contains(" 0 receipts after the last checkpoint"));

    // the forger: three well-formed receipts hashed into a chain, no key, so no checkpoint
    List<JsonNode> forged = new ArrayList<>();
    for (int id = 1; id <= 3; id++) {
      ObjectNode line = JSON.createObjectNode();
      line.put("id", id).put("ts", "2026-12-07T00:00:00Z");
      line.putObject("event")
          .put("type", "tool_call")
          .put("tool_id", "payments_send")
          .put("decision", "allow")
          .put("ts", "2026-12-07T00:00:00Z");
      forged.add(line);
    }
    Files.writeString(export, toText(rechain(forged, -1)));
    Distribution.CliResult caught = offline(data, export, jwk);
    assertEquals(caught.stdout() + caught.stderr(), 5, caught.exit());
    assertTrue(
        caught.stderr(),
        caught.stderr().contains("receipt chain not covered at id 1: unsigned_tail"));
  }

  @Test
  public void aMissingSignerStopsNoReceiptAndIsLoggedAtWarn() throws Exception {
    // ga with no hardware backend and software keys not allowed: the identity key cannot sign
    Path data = Files.createTempDirectory("briefcase-checkpoint-nosigner");
    try (Distribution d = distribution(data).env("BRIEFCASE_PROFILE_MODE", "ga").start()) {
      long last = calls(d, EVERY + 2);
      assertTrue("every call was receipted", last >= EVERY + 2);
      long deadline = System.currentTimeMillis() + DEADLINE_MS;
      while (!Files.readString(d.logFile).contains("receipt checkpoint over seq")) {
        assertTrue("no WARN about the unsigned checkpoint", System.currentTimeMillis() < deadline);
        Thread.sleep(100);
      }
      String log = Files.readString(d.logFile);
      assertTrue(log, log.contains("WARN ReceiptCheckpointer - receipt checkpoint over seq"));
      assertTrue(log, log.contains("receipts are still written"));
      // and receipts keep coming after the failure
      long after = calls(d, 2);
      assertTrue(after > last);
      for (JsonNode r : d.get("/v1/receipts?limit=50").json().get("receipts")) {
        assertFalse("no checkpoint without a signer", "checkpoint".equals(kind(r)));
      }
    }
  }

  private static Distribution distribution(Path data) throws Exception {
    return new Distribution(data)
        .env("BRIEFCASE_SECRET_BACKEND", "file")
        .env("BRIEFCASE_MASTER_PASSPHRASE", "checkpoint-attack-passphrase")
        .env("BRIEFCASE_RECEIPT_CHECKPOINT_EVERY", String.valueOf(EVERY))
        // and a short interval, so the few receipts after the last full batch are covered too
        .env("BRIEFCASE_RECEIPT_CHECKPOINT_INTERVAL_SECONDS", "2");
  }

  private static Distribution.CliResult offline(Path data, Path export, Path jwk) throws Exception {
    // no daemon runs here: every caller has stopped it before
    return new Distribution(data)
        .cli("receipts", "verify", "--offline", export.toString(), "--key", jwk.toString());
  }

  /** {@code n} echo calls; returns the receipt id of the last. */
  private static long calls(Distribution d, int n) throws Exception {
    long last = -1;
    for (int i = 0; i < n; i++) {
      Distribution.Answer a =
          d.post(
              "/v1/tools/call",
              "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"call " + i + "\"}}}");
      assertEquals(a.body(), 200, a.status());
      JsonNode r = a.json();
      assertEquals(a.body(), "ok", r.path("status").asText());
      last = r.path("result").path("provenance").path("receipt_id").asLong();
    }
    return last;
  }

  private static void awaitCheckpointCovering(Distribution d, long id) throws Exception {
    long deadline = System.currentTimeMillis() + DEADLINE_MS;
    while (true) {
      for (JsonNode r : d.get("/v1/receipts?limit=100").json().get("receipts")) {
        if ("checkpoint".equals(kind(r)) && r.get("event").get("seq").asLong() >= id) {
          return;
        }
      }
      assertTrue(
          "no checkpoint covering receipt " + id + " within " + DEADLINE_MS + " ms",
          System.currentTimeMillis() < deadline);
      Thread.sleep(100);
    }
  }

  private static String kind(JsonNode receipt) {
    return receipt.path("event").path("kind").asText();
  }

  /** The id of the first checkpoint receipt whose signed seq is at least {@code id}. */
  private static long firstCheckpointCovering(List<JsonNode> export, long id) {
    for (JsonNode r : export) {
      JsonNode e = r.get("event");
      if ("checkpoint".equals(e.path("kind").asText()) && e.get("seq").asLong() >= id) {
        return r.get("id").asLong();
      }
    }
    throw new AssertionError("no checkpoint covers receipt " + id);
  }

  private static List<JsonNode> lines(Path export) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(export)) {
      JsonNode n = JSON.readTree(line);
      if (n.has("id")) {
        out.add(n);
      }
    }
    return out;
  }

  /** The receipts of an export after editing {@code id}, every hash from there recomputed. */
  private static List<JsonNode> rechain(List<JsonNode> receipts, long id) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    String prev = "0".repeat(64);
    for (JsonNode r : receipts) {
      ObjectNode copy = r.deepCopy();
      ObjectNode event = (ObjectNode) copy.get("event");
      if (copy.get("id").asLong() == id) {
        event.put("decision", "deny");
      }
      copy.put("prev_hash_hex", prev);
      prev = hash(prev, canonical(event.toString()));
      copy.put("hash_hex", prev);
      out.add(copy);
    }
    return out;
  }

  private static String toText(List<JsonNode> receipts) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode r : receipts) {
      sb.append(r).append('\n');
    }
    String head = receipts.get(receipts.size() - 1).get("hash_hex").asText();
    sb.append("{\"head_hash_hex\":\"")
        .append(head)
        .append("\",\"count\":")
        .append(receipts.size())
        .append("}\n");
    return sb.toString();
  }

  /** What an attacker with write access does: edit one row, recompute every hash after it. */
  private static void rechainDatabase(Path db, long id) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      List<Long> ids = new ArrayList<>();
      List<String> events = new ArrayList<>();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id, event_json FROM receipts ORDER BY id")) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
          events.add(rs.getString(2));
        }
      }
      String prev = "0".repeat(64);
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE receipts SET prev_hash_hex = ?, hash_hex = ?, event_json = ? WHERE id = ?")) {
        for (int i = 0; i < ids.size(); i++) {
          String event = events.get(i);
          if (ids.get(i) == id) {
            ObjectNode e = (ObjectNode) JSON.readTree(event);
            assertEquals("allow", e.get("decision").asText());
            e.put("decision", "deny");
            event = canonical(e.toString());
          }
          String hash = hash(prev, event);
          ps.setString(1, prev);
          ps.setString(2, hash);
          ps.setString(3, event);
          ps.setLong(4, ids.get(i));
          ps.addBatch();
          prev = hash;
        }
        ps.executeBatch();
      }
      c.commit();
    }
  }

  /**
   * Edits receipt {@code id}, drops every checkpoint, renumbers and re-chains; returns the rows.
   */
  private static int rechainWithoutCheckpoints(Path db, long id) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      List<String> ts = new ArrayList<>();
      List<String> events = new ArrayList<>();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id, ts, event_json FROM receipts ORDER BY id")) {
        while (rs.next()) {
          ObjectNode e = (ObjectNode) JSON.readTree(rs.getString(3));
          if ("checkpoint".equals(e.path("kind").asText())) {
            continue;
          }
          if (rs.getLong(1) == id) {
            assertEquals("allow", e.get("decision").asText());
            e.put("decision", "deny");
          }
          ts.add(rs.getString(2));
          events.add(canonical(e.toString()));
        }
      }
      try (Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM receipts");
      }
      String prev = "0".repeat(64);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO receipts (id, ts, prev_hash_hex, hash_hex, event_json)"
                  + " VALUES (?, ?, ?, ?, ?)")) {
        for (int i = 0; i < events.size(); i++) {
          String hash = hash(prev, events.get(i));
          ps.setLong(1, i + 1);
          ps.setString(2, ts.get(i));
          ps.setString(3, prev);
          ps.setString(4, hash);
          ps.setString(5, events.get(i));
          ps.addBatch();
          prev = hash;
        }
        ps.executeBatch();
      }
      c.commit();
      return events.size();
    }
  }

  private static String canonical(String json) throws Exception {
    return new JsonCanonicalizer(json).getEncodedString();
  }

  private static String hash(String prev, String canonicalEvent) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(prev.getBytes(StandardCharsets.US_ASCII));
    sha.update(canonicalEvent.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(sha.digest());
  }

  private static String freshJwk() throws Exception {
    byte[] spki =
        KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
    byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
    return "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\""
        + Base64.getUrlEncoder().withoutPadding().encodeToString(x)
        + "\"}";
  }

  /** Whether the latest receipts hold a checkpoint. */
  private static boolean hasCheckpoint(Distribution d) throws Exception {
    for (JsonNode r : d.get("/v1/receipts?limit=100").json().get("receipts")) {
      if ("checkpoint".equals(kind(r))) {
        return true;
      }
    }
    return false;
  }
}
