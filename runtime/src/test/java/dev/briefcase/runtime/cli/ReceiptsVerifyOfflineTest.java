package dev.briefcase.runtime.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.internal.Checkpoint;
import dev.briefcase.receipts.internal.ReceiptChain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code briefcase receipts verify --offline}: no daemon, only the export and a public JWK. */
public class ReceiptsVerifyOfflineTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ObjectMapper mapper = new ObjectMapper();
  private Path dataDir;
  private Path export;
  private Path key;
  private String out;
  private String err;

  @Before
  public void setUp() throws Exception {
    // an empty data directory: no admin.url, no token, no daemon
    dataDir = tmp.newFolder("data").toPath();
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    key = tmp.getRoot().toPath().resolve("identity.jwk");
    Files.writeString(key, jwk(pair));
    export = tmp.getRoot().toPath().resolve("receipts.ndjson");
    Files.writeString(export, chain(pair, 4, 2));
  }

  private static String jwk(KeyPair pair) {
    byte[] spki = pair.getPublic().getEncoded();
    byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
    return "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\""
        + Base64.getUrlEncoder().withoutPadding().encodeToString(x)
        + "\"}";
  }

  /** {@code before} calls, a checkpoint over them, then {@code after} unsigned calls. */
  private String chain(KeyPair pair, int before, int after) throws Exception {
    return chain(pair, before, after, 0);
  }

  /** The same with a v2 checkpoint signing the cadence {@code every} (0: a v1 checkpoint). */
  private String chain(KeyPair pair, int before, int after, long every) throws Exception {
    StringBuilder sb = new StringBuilder();
    String prev = ReceiptChain.GENESIS_HASH_HEX;
    long id = 0;
    String kid = Checkpoint.verificationKey(jwk(pair)).kid();
    for (int i = 0; i < before + 1 + after; i++) {
      id++;
      ObjectNode event;
      if (i == before) {
        Checkpoint.Fields f = new Checkpoint.Fields(id - 1, prev, id - 1, kid, "EdDSA", "", every);
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(pair.getPrivate());
        s.update(Checkpoint.statementBytes(f));
        String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
        event =
            Checkpoint.event(
                "2026-12-07T00:00:00Z",
                new Checkpoint.Fields(id - 1, prev, id - 1, kid, "EdDSA", sig, every));
      } else {
        event = mapper.createObjectNode().put("type", "tool_call").put("ts", "t").put("n", i);
      }
      String hash = ReceiptChain.hashEvent(prev, event);
      ObjectNode line = mapper.createObjectNode();
      line.put("id", id).put("ts", "t").put("prev_hash_hex", prev).put("hash_hex", hash);
      line.set("event", event);
      sb.append(line).append('\n');
      prev = hash;
    }
    sb.append("{\"head_hash_hex\":\"")
        .append(prev)
        .append("\",\"count\":")
        .append(id)
        .append("}\n");
    return sb.toString();
  }

  private int run(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int code =
        BriefcaseCommand.execute(
            Map.of("BRIEFCASE_DATA_DIR", dataDir.toString()),
            tmp.getRoot().toPath(),
            null,
            new PrintWriter(o),
            new PrintWriter(e),
            args);
    out = o.toString();
    err = e.toString();
    return code;
  }

  @Test
  public void aFullyCoveredExportVerifiesWithNoDaemon() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Files.writeString(key, jwk(pair));
    // what an export through the daemon looks like: it ends at the checkpoint over its head
    Files.writeString(export, chain(pair, 4, 0, 256));
    assertEquals(err, 0, verify());
    assertTrue(out, out.contains("5 receipts, 1 checkpoints verified (last over id 4)"));
    assertTrue(
        out,
        out.contains("0 receipts after the last checkpoint (unsigned tail, at most 0 allowed)"));
  }

  @Test
  public void receiptsAfterTheLastCheckpointFailUnlessTheTailIsAllowed() {
    assertEquals(5, verify());
    assertTrue(err, err.contains("receipt chain not covered at id 5: unsigned_tail (2 receipts"));
    assertEquals(err, 0, verify("--allow-unsigned-tail"));
    assertTrue(out, out.contains("7 receipts, 1 checkpoints verified (last over id 4)"));
    assertTrue(
        out,
        out.contains("2 receipts after the last checkpoint (unsigned tail, any number allowed)"));
  }

  @Test
  public void jsonSaysTheSame() throws Exception {
    assertEquals(
        0,
        run(
            "receipts",
            "verify",
            "--offline",
            export.toString(),
            "--key",
            key.toString(),
            "--allow-unsigned-tail",
            "--json"));
    assertEquals(1, mapper.readTree(out).get("checkpoints_verified").asInt());
    assertEquals(2, mapper.readTree(out).get("unsigned_tail").asInt());
  }

  @Test
  public void aRechainedEditFailsAtTheCheckpointWithExitFive() throws Exception {
    StringBuilder sb = new StringBuilder();
    String prev = ReceiptChain.GENESIS_HASH_HEX;
    for (String line : Files.readAllLines(export)) {
      ObjectNode n = (ObjectNode) mapper.readTree(line);
      if (n.has("id")) {
        ObjectNode event = (ObjectNode) n.get("event");
        if (n.get("id").asLong() == 2) {
          event.put("n", 99);
        }
        n.put("prev_hash_hex", prev);
        prev = ReceiptChain.hashEvent(prev, event);
        n.put("hash_hex", prev);
      } else {
        n.put("head_hash_hex", prev);
      }
      sb.append(n).append('\n');
    }
    Files.writeString(export, sb.toString(), StandardCharsets.UTF_8);
    assertEquals(
        5, run("receipts", "verify", "--offline", export.toString(), "--key", key.toString()));
    assertTrue(err, err.contains("receipt chain broken at id 5: checkpoint_mismatch"));
  }

  @Test
  public void aWrongKeyFailsAndAPrivateKeyIsRefused() throws Exception {
    Path wrong = tmp.getRoot().toPath().resolve("wrong.jwk");
    Files.writeString(wrong, jwk(KeyPairGenerator.getInstance("Ed25519").generateKeyPair()));
    assertEquals(
        5, run("receipts", "verify", "--offline", export.toString(), "--key", wrong.toString()));
    assertTrue(err, err.contains("broken at id 5: checkpoint_unknown_key"));

    Path secret = tmp.getRoot().toPath().resolve("secret.jwk");
    Files.writeString(
        secret, Files.readString(key).replace("}", ",\"d\":\"" + "A".repeat(43) + "\"}"));
    assertEquals(
        2, run("receipts", "verify", "--offline", export.toString(), "--key", secret.toString()));
    assertTrue(err, err.contains("private key material"));
  }

  @Test
  public void maxUnsignedBoundsTheTail() {
    assertEquals(
        5,
        run(
            "receipts",
            "verify",
            "--offline",
            export.toString(),
            "--key",
            key.toString(),
            "--max-unsigned",
            "1"));
    assertTrue(err, err.contains("unsigned_tail_too_long"));
    assertEquals(
        0,
        run(
            "receipts",
            "verify",
            "--offline",
            export.toString(),
            "--key",
            key.toString(),
            "--max-unsigned",
            "2"));
  }

  private int verify(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of("receipts", "verify", "--offline", export.toString(), "--key", key.toString()));
    args.addAll(List.of(extra));
    return run(args.toArray(new String[0]));
  }

  @Test
  public void aStretchLongerThanTheSignedCadenceAllowsFailsByDefault() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Files.writeString(key, jwk(pair));
    // v2, every 2: bound 6; 7 receipts before the first checkpoint is a gap
    Files.writeString(export, chain(pair, 7, 1, 2));
    assertEquals(5, verify());
    assertTrue(err, err.contains("not covered at id 8: checkpoint_gap (receipts 1 to 7 (7)"));
    // 6 before it and a tail of 7 after it: the tail is too long unless allowed
    Files.writeString(export, chain(pair, 6, 7, 2));
    assertEquals(5, verify());
    assertTrue(err, err.contains("not covered at id 7: unsigned_tail (7 receipts"));
    assertEquals(5, verify("--max-unsigned", "6"));
    assertTrue(err, err.contains("not covered at id 7: unsigned_tail_too_long"));
    assertEquals(0, verify("--allow-unsigned"));
    assertTrue(out, out.contains("(unsigned tail, any number allowed)"));
    assertEquals(0, verify("--max-unsigned", "7"));
    assertEquals(2, verify("--max-unsigned", "7", "--allow-unsigned"));
  }

  @Test
  public void aForgedExportWithoutCheckpointsFailsUnlessTheTailIsAllowed() throws Exception {
    StringBuilder sb = new StringBuilder();
    String prev = ReceiptChain.GENESIS_HASH_HEX;
    for (int id = 1; id <= 3; id++) {
      ObjectNode event = mapper.createObjectNode().put("type", "tool_call").put("ts", "t");
      String hash = ReceiptChain.hashEvent(prev, event);
      ObjectNode line = mapper.createObjectNode();
      line.put("id", id).put("ts", "t").put("prev_hash_hex", prev).put("hash_hex", hash);
      line.set("event", event);
      sb.append(line).append('\n');
      prev = hash;
    }
    sb.append("{\"head_hash_hex\":\"").append(prev).append("\",\"count\":3}\n");
    Files.writeString(export, sb.toString());
    // anyone can hash receipts: with no checkpoint nothing vouches for them
    assertEquals(out, 5, verify());
    assertTrue(err, err.contains("receipt chain not covered at id 1: unsigned_tail (3 receipts"));
    assertEquals(err, 0, verify("--allow-unsigned-tail"));
    assertTrue(out, out.contains("3 receipts and no checkpoint yet: all of them are an unsigned"));
    assertEquals(5, verify("--max-unsigned", "0"));
    assertTrue(err, err.contains("not covered at id 1: checkpoint_missing"));
  }

  @Test
  public void usageErrors() {
    assertEquals(2, run("receipts", "verify", "--offline", export.toString()));
    assertEquals(2, run("receipts", "verify", "--key", key.toString()));
  }
}
