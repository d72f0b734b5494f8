package dev.briefcase.l402;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.testing.NodeProject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Both directions against npm {@code macaroon} 3.0.4 and {@code bolt11} 1.4.1 ({@code
 * src/test/js/interop.mjs} on Node 22 after {@code npm ci}).
 */
public class InteropTest {
  private static final NodeProject JS =
      NodeProject.at("briefcase.l402.js", "src/test/js", "macaroon", "bolt11");
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] ROOT = HEX.parseHex("5a".repeat(32));
  private static final byte[] PAYMENT_HASH = HEX.parseHex("ab".repeat(32));
  private static final byte[] TOKEN = HEX.parseHex("cd".repeat(32));
  // npm macaroon 3.0.4 crashes exporting four caveats or more
  private static final List<String> CAVEATS =
      List.of("services=quote:0", "quote_capabilities=read", "quote_valid_until=4102444800");
  private static final String[][] INVOICES = {
    // network, msat (decimal), expiry (null = default)
    {"bc", "250000", null},
    {"tb", "1", "60"},
    {"bcrt", "100000000", "86400"},
    {"tbs", "12300", null},
    {"bc", "7", null}
  };

  @BeforeClass
  public static void install() throws Exception {
    JS.install();
  }

  private static JsonNode run(List<?> requests) throws Exception {
    JsonNode out = JS.runJson("interop.mjs", requests, Duration.ofSeconds(120));
    assertEquals(requests.size(), out.size());
    return out;
  }

  private static byte[] identifier() {
    return L402Identifier.of(PAYMENT_HASH, TOKEN).encode();
  }

  @Test
  public void npmMintedMacaroonParsesAndVerifiesInJava() throws Exception {
    JsonNode out =
        run(
            List.of(
                Map.of(
                    "op",
                    "mint",
                    "rootKeyHex",
                    HEX.formatHex(ROOT),
                    "location",
                    "npm-server",
                    "identifierHex",
                    HEX.formatHex(identifier()),
                    "caveats",
                    CAVEATS)));
    Macaroon m = Macaroon.parseBase64(out.get(0).get("macaroon").asText());
    assertEquals("npm-server", m.location());
    assertEquals(CAVEATS, m.caveats());
    assertArrayEquals(PAYMENT_HASH, L402Identifier.parse(m.identifier()).paymentHash());
    m.verify(ROOT, c -> true);
    assertEquals(out.get(0).get("macaroon").asText(), m.toBase64());
    assertEquals(Macaroon.mint(ROOT, "npm-server", identifier(), CAVEATS).toBase64(), m.toBase64());
  }

  @Test
  public void javaMintedMacaroonVerifiesInNpmAndAForgeryDoesNot() throws Exception {
    Macaroon m = Macaroon.mint(ROOT, "java-server", identifier(), CAVEATS);
    byte[] forged = m.serialize();
    forged[forged.length - 1] ^= 1;
    byte[] otherRoot = ROOT.clone();
    otherRoot[0] ^= 1;
    JsonNode out =
        run(
            List.of(
                Map.of("op", "verify", "macaroon", m.toBase64(), "rootKeyHex", HEX.formatHex(ROOT)),
                Map.of(
                    "op",
                    "verify",
                    "macaroon",
                    java.util.Base64.getEncoder().encodeToString(forged),
                    "rootKeyHex",
                    HEX.formatHex(ROOT)),
                Map.of(
                    "op",
                    "verify",
                    "macaroon",
                    m.toBase64(),
                    "rootKeyHex",
                    HEX.formatHex(otherRoot))));
    JsonNode ok = out.get(0);
    assertTrue(ok.toString(), ok.get("ok").asBoolean());
    assertEquals("java-server", ok.get("location").asText());
    assertEquals(HEX.formatHex(identifier()), ok.get("identifierHex").asText());
    List<String> caveats = new ArrayList<>();
    ok.get("caveats").forEach(c -> caveats.add(c.asText()));
    assertEquals(CAVEATS, caveats);
    assertFalse(out.get(1).get("ok").asBoolean());
    assertFalse(out.get(2).get("ok").asBoolean());
  }

  private static Map<String, Object> encodeRequest(String[] c, int i) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("op", "encode");
    r.put("network", c[0]);
    r.put("msat", c[1]);
    r.put("timestamp", 1_735_689_600L + i);
    r.put("paymentHashHex", HEX.formatHex(PAYMENT_HASH));
    r.put("paymentSecretHex", "03".repeat(32));
    r.put("description", "interop " + i + " \u00e9");
    r.put("expiry", c[2] == null ? null : Long.parseLong(c[2]));
    r.put("cltv", 40 + i);
    r.put("privateKeyHex", HEX.formatHex(Bolt11Test.NODE_KEY));
    return r;
  }

  @Test
  public void npmEncodedInvoicesDecodeInJavaWithTheSameFields() throws Exception {
    List<Object> requests = new ArrayList<>();
    for (int i = 0; i < INVOICES.length; i++) {
      requests.add(encodeRequest(INVOICES[i], i));
    }
    JsonNode out = run(requests);
    List<Object> decodes = new ArrayList<>();
    for (JsonNode o : out) {
      decodes.add(Map.of("op", "decode", "invoice", o.get("invoice").asText()));
    }
    JsonNode npm = run(decodes);
    for (int i = 0; i < INVOICES.length; i++) {
      String invoice = out.get(i).get("invoice").asText();
      Bolt11 d = Bolt11.decode(invoice);
      assertSame(npm.get(i), d);
      assertEquals(INVOICES[i][0], d.network());
      assertEquals(Long.valueOf(INVOICES[i][1]), d.amountMsat());
      assertArrayEquals(Bolt11.publicKey(Bolt11Test.NODE_KEY), d.payeeNodeKey());
    }
  }

  @Test
  public void javaEncodedInvoicesDecodeInNpmWithTheSameFields() throws Exception {
    List<Object> decodes = new ArrayList<>();
    List<Bolt11> ours = new ArrayList<>();
    for (int i = 0; i < INVOICES.length; i++) {
      Bolt11.Fields f = Bolt11Test.fields(INVOICES[i][0], Long.valueOf(INVOICES[i][1]));
      f.timestamp += i;
      f.description = "java " + i + " \u00e9";
      f.expirySeconds = INVOICES[i][2] == null ? null : Long.valueOf(INVOICES[i][2]);
      f.minFinalCltvExpiry = 40L + i;
      f.features = new byte[] {1, 16, 24, 0};
      String invoice = Bolt11.encode(f, Bolt11Test.NODE_KEY);
      ours.add(Bolt11.decode(invoice));
      decodes.add(Map.of("op", "decode", "invoice", invoice));
    }
    JsonNode npm = run(decodes);
    for (int i = 0; i < INVOICES.length; i++) {
      assertSame(npm.get(i), ours.get(i));
    }
  }

  private static void assertSame(JsonNode npm, Bolt11 d) {
    assertTrue(npm.toString(), npm.get("ok").asBoolean());
    assertEquals(npm.get("network").asText(), d.network());
    assertEquals(npm.get("msat").asText(), String.valueOf(d.amountMsat()));
    assertEquals(npm.get("timestamp").asLong(), d.timestamp());
    assertEquals(npm.get("payeeNodeKey").asText(), d.payeeNodeKeyHex());
    assertEquals(npm.get("signatureHex").asText(), HEX.formatHex(d.signature()));
    assertEquals(npm.get("recoveryFlag").asInt(), d.recoveryId());
    assertEquals(npm.get("paymentHash").asText(), d.paymentHashHex());
    assertEquals(npm.get("paymentSecret").asText(), HEX.formatHex(d.paymentSecret()));
    assertEquals(npm.get("description").asText(), d.description());
    // npm leaves absent x/c out; Briefcase applies the BOLT11 defaults
    if (!npm.get("expiry").isNull()) {
      assertEquals(npm.get("expiry").asLong(), d.expirySeconds());
    } else {
      assertEquals(Bolt11.DEFAULT_EXPIRY_SECONDS, d.expirySeconds());
    }
    assertEquals(npm.get("cltv").asLong(), d.minFinalCltvExpiry());
  }
}
