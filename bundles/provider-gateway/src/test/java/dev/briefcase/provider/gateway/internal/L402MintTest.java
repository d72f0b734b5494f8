package dev.briefcase.provider.gateway.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.l402.Bolt11;
import dev.briefcase.l402.L402Challenge;
import dev.briefcase.l402.L402Identifier;
import dev.briefcase.l402.Macaroon;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.LightningNodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The provider's L402 mint against the Lightning test nodes of testing/fixtures: the 402 carries an
 * LND invoice and a macaroon (both read back with bundles/l402), the invoice paid from the other
 * node (CLN) mints once; a wrong preimage, another root secret's macaroon and an expired caveat are
 * 401; a malformed credential, a reuse (also after a restart) and an unpaid invoice are a fresh
 * 402; no macaroon or preimage reaches a log or an answer.
 */
public class L402MintTest {
  private static final long PRICE_MICROUSD = 1000;
  private static final long USD_PER_BTC = 100_000;
  private static final String ROOT_ID = "provider.l402_root_secret";
  private static final ByteArrayOutputStream LOGS = new ByteArrayOutputStream();
  private static PrintStream originalErr;
  private static LightningNodes nodes;
  private static Path dir;

  private Fixture fixture;
  private SqliteStore store;
  private MapSecrets secrets;
  private ProviderApi api;
  private final List<String> secretsSeen = new ArrayList<>();
  private final List<String> answers = new ArrayList<>();

  @BeforeClass
  public static void startNodes() throws Exception {
    originalErr = System.err;
    System.setErr(new PrintStream(new Tee(originalErr, LOGS), true, StandardCharsets.UTF_8));
    // a unix socket path holds ~100 bytes: keep the directory short
    dir = Files.createTempDirectory(Path.of("/tmp"), "l4");
    nodes = LightningNodes.start(dir);
  }

  @AfterClass
  public static void stopNodes() {
    try {
      assertTrue(LOGS.toString(StandardCharsets.UTF_8).contains("L402 paid mint refused"));
      if (nodes != null) {
        nodes.close();
      }
    } finally {
      System.setErr(originalErr);
    }
  }

  @Before
  public void provider() throws Exception {
    fixture = new Fixture();
    fixture.clock.now = Instant.now();
    store = new SqliteStore(Files.createTempDirectory("l402-store").resolve("briefcase.db"));
    secrets = new MapSecrets();
    api = api(secrets);
  }

  @After
  public void canary() {
    String logs = LOGS.toString(StandardCharsets.UTF_8);
    for (String secret : secretsSeen) {
      assertFalse("a secret in the logs", logs.contains(secret));
      for (String answer : answers) {
        assertFalse("a secret in an answer", answer.contains(secret));
      }
    }
    store.close();
  }

  private ProviderApi api(SecretStore rootSecrets) {
    L402Gate gate =
        new L402Gate(
            new LndInvoices(
                nodes.lndUrl(), nodes.lndCert(), () -> readMacaroon(), Duration.ofSeconds(10)),
            new L402Tokens(store, fixture.clock),
            L402Secrets.rootSecret(rootSecrets, ROOT_ID, new SecureRandom()),
            fixture.clock,
            new SecureRandom(),
            "quote",
            USD_PER_BTC,
            600);
    PaymentChallenge payment =
        new PaymentChallenge(
            new PaymentChallenge.X402Offer(
                "eip155:84532",
                "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
                "0x1111111111111111111111111111111111111111",
                "1000",
                "USDC",
                "2",
                60),
            gate,
            PRICE_MICROUSD);
    return fixture.api(Fixture.settings(PRICE_MICROUSD, false, false, 0, null), payment);
  }

  private static byte[] readMacaroon() {
    try {
      return Files.readAllBytes(nodes.lndMacaroon());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private ApiResponse mint(ProviderApi on, String... headers) {
    ApiResponse r = ProviderApi.answer(() -> on.mint(Fixture.headers(headers), new byte[0]));
    StringBuilder text = new StringBuilder(new String(r.body(), StandardCharsets.UTF_8));
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      if (!h.getKey().equals("WWW-Authenticate")) {
        text.append('\n').append(h.getKey()).append(": ").append(h.getValue());
      }
    }
    answers.add(text.toString());
    return r;
  }

  /** The L402 challenge of a fresh 402. */
  private L402Challenge challenge(ProviderApi on) throws Exception {
    ApiResponse r = mint(on);
    assertEquals(402, r.status());
    assertNotNull("x402 stays offered", r.headers().get("PAYMENT-REQUIRED"));
    List<L402Challenge> found = L402Challenge.scan(List.of(r.headers().get("WWW-Authenticate")));
    assertEquals(1, found.size());
    secretsSeen.add(found.get(0).macaroon());
    return found.get(0);
  }

  /** Pays from the CLN node and returns the preimage its payment revealed. */
  private String pay(L402Challenge c) throws Exception {
    assertTrue(nodes.pay(LightningNodes.CLN, c.invoice()));
    String hash = Bolt11.decode(c.invoice()).paymentHashHex();
    JsonNode pays = clnRpc("listpays", "{\"payment_hash\":\"" + hash + "\"}");
    String preimage = pays.path("result").path("pays").get(0).path("preimage").asText();
    secretsSeen.add(preimage);
    return preimage;
  }

  private static JsonNode clnRpc(String method, String params) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(nodes.clnSocket()));
      String req =
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}";
      ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.UTF_8)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      while (!out.toString(StandardCharsets.UTF_8).contains("\n\n")) {
        buf.clear();
        if (ch.read(buf) < 0) {
          break;
        }
        out.write(buf.array(), 0, buf.position());
      }
      return Fixture.json(out.toByteArray());
    }
  }

  private static String credential(L402Challenge c, String preimage) {
    return "L402 " + c.macaroon() + ":" + preimage;
  }

  @Test
  public void theChallengeIsAnLndInvoiceAndAMacaroonOverItsPaymentHash() throws Exception {
    L402Challenge c = challenge(api);
    Bolt11 invoice = Bolt11.decode(c.invoice());
    assertEquals("bcrt", invoice.network());
    // 1000 µUSD = 0.001 USD at 100,000 USD/BTC = 1 sat
    assertEquals(Long.valueOf(1_000), invoice.amountMsat());
    Macaroon m = Macaroon.parseBase64(c.macaroon());
    L402Identifier id = L402Identifier.parse(m.identifier());
    assertEquals(0, id.version());
    assertArrayEquals(invoice.paymentHash(), id.paymentHash());
    assertEquals(32, id.tokenId().length);
    assertEquals("services=quote:0", m.caveats().get(0));
    assertEquals("quote_capabilities=read", m.caveats().get(1));
    assertEquals(
        "quote_valid_until=" + (fixture.clock.now.getEpochSecond() + 600), m.caveats().get(2));
    // the root secret was created in the secret store on first use
    assertEquals(32, secrets.values.get(ROOT_ID).length);
  }

  @Test
  public void aPaidInvoiceMintsOnceAndAReuseIsAFresh402() throws Exception {
    L402Challenge c = challenge(api);
    String preimage = pay(c);
    ApiResponse ok = mint(api, "authorization", credential(c, preimage));
    assertEquals(new String(ok.body(), StandardCharsets.UTF_8), 200, ok.status());
    assertTrue(Fixture.json(ok.body()).path("token").asText().contains("."));

    ApiResponse again = mint(api, "authorization", "LSAT " + c.macaroon() + ":" + preimage);
    assertEquals(402, again.status());
    assertEquals(L402Gate.USED, again.headers().get("x-briefcase-error"));
    assertNotNull(again.headers().get("WWW-Authenticate"));
    assertNotNull(again.headers().get("PAYMENT-REQUIRED"));

    // a restart forgets nothing: the spent id is in the store
    ApiResponse afterRestart = mint(api(secrets), "authorization", credential(c, preimage));
    assertEquals(402, afterRestart.status());
    assertEquals(L402Gate.USED, afterRestart.headers().get("x-briefcase-error"));
  }

  @Test
  public void aWrongPreimageIs401() throws Exception {
    L402Challenge c = challenge(api);
    pay(c);
    byte[] wrong = new byte[32];
    new SecureRandom().nextBytes(wrong);
    ApiResponse r = mint(api, "authorization", credential(c, HexFormat.of().formatHex(wrong)));
    assertEquals(401, r.status());
    assertEquals(L402Gate.INVALID, r.headers().get("x-briefcase-error"));
  }

  @Test
  public void aMalformedCredentialIsAFresh402WithBothChallenges() throws Exception {
    for (String bad :
        new String[] {
          "L402 not-a-macaroon", "L402 AgEEbHNhdA==:zz", "LSAT :" + "00".repeat(32), "L402 !!!:00"
        }) {
      ApiResponse r = mint(api, "authorization", bad);
      assertEquals(bad, 402, r.status());
      assertEquals(L402Gate.MALFORMED, r.headers().get("x-briefcase-error"));
      assertNotNull(r.headers().get("PAYMENT-REQUIRED"));
      assertNotNull(r.headers().get("WWW-Authenticate"));
    }
  }

  @Test
  public void anUnpaidInvoiceIsRefusedEvenWithItsPreimage() throws Exception {
    L402Challenge c = challenge(api);
    // the preimage of an unpaid invoice, as a leak from the node would give it
    String hash = Bolt11.decode(c.invoice()).paymentHashHex();
    String preimage = lookupPreimage(hash);
    secretsSeen.add(preimage);
    ApiResponse r = mint(api, "authorization", credential(c, preimage));
    assertEquals(402, r.status());
    assertEquals(L402Gate.NOT_SETTLED, r.headers().get("x-briefcase-error"));
    // once paid, the same credential mints
    assertTrue(nodes.pay(LightningNodes.CLN, c.invoice()));
    assertEquals(200, mint(api, "authorization", credential(c, preimage)).status());
  }

  @Test
  public void aMacaroonOfAnotherRootSecretIs401() throws Exception {
    ProviderApi other = api(new MapSecrets());
    L402Challenge c = challenge(other);
    String preimage = pay(c);
    ApiResponse r = mint(api, "authorization", credential(c, preimage));
    assertEquals(401, r.status());
    assertEquals(L402Gate.INVALID, r.headers().get("x-briefcase-error"));
  }

  @Test
  public void anExpiredMacaroonIs401() throws Exception {
    L402Challenge c = challenge(api);
    String preimage = pay(c);
    fixture.clock.now = fixture.clock.now.plusSeconds(601);
    ApiResponse r = mint(api, "authorization", credential(c, preimage));
    assertEquals(401, r.status());
    assertEquals(L402Gate.INVALID, r.headers().get("x-briefcase-error"));
  }

  @Test
  public void anAddedCaveatCannotWidenAndAStrippedOneBreaksTheChain() throws Exception {
    L402Challenge c = challenge(api);
    String preimage = pay(c);
    Macaroon m = Macaroon.parseBase64(c.macaroon());
    // a holder may narrow, but an unknown caveat is never satisfied (fail closed)
    String widened = m.withCaveat("quote_capabilities=write").toBase64();
    secretsSeen.add(widened);
    ApiResponse r = mint(api, "authorization", "L402 " + widened + ":" + preimage);
    assertEquals(401, r.status());
    String unknown = m.withCaveat("admin=true").toBase64();
    secretsSeen.add(unknown);
    assertEquals(401, mint(api, "authorization", "L402 " + unknown + ":" + preimage).status());
    // the untouched macaroon still mints: refusals spend nothing
    assertEquals(200, mint(api, "authorization", credential(c, preimage)).status());
  }

  @Test
  public void aSecretStoreThatRefusesTheRootSecretIs503AndNoChallenge() throws Exception {
    MapSecrets refusing = new MapSecrets();
    refusing.refuse = true;
    ApiResponse r = mint(api(refusing));
    // the 402 stays (x402 is offered) but carries no L402 challenge
    assertEquals(402, r.status());
    assertEquals(null, r.headers().get("WWW-Authenticate"));
    assertTrue(LOGS.toString(StandardCharsets.UTF_8).contains(L402Gate.ROOT_SECRET_UNAVAILABLE));
  }

  @Test
  public void theMsatPriceRoundsUp() {
    L402Gate gate =
        new L402Gate(
            null, null, () -> new byte[32], fixture.clock, new SecureRandom(), "q", 3, 600);
    // 1 µUSD at 3 USD/BTC = 33,333.33 msat -> 33,334
    assertEquals(33_334, gate.msat(1));
  }

  private static String lookupPreimage(String hashHex) throws Exception {
    java.net.http.HttpClient http =
        java.net.http.HttpClient.newBuilder()
            .sslContext(LndInvoices.pinned(nodes.lndCert()))
            .build();
    java.net.http.HttpResponse<byte[]> resp =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(nodes.lndUrl() + "/v1/invoice/" + hashHex))
                .header("Grpc-Metadata-macaroon", HexFormat.of().formatHex(readMacaroon()))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    JsonNode inv = Fixture.json(resp.body());
    assertEquals("OPEN", inv.path("state").asText());
    return HexFormat.of()
        .formatHex(java.util.Base64.getDecoder().decode(inv.path("r_preimage").asText()));
  }

  /** A secret store in memory; {@code refuse} makes every call fail as a locked store would. */
  static final class MapSecrets implements SecretStore {
    final Map<String, byte[]> values = new ConcurrentHashMap<>();
    volatile boolean refuse;

    @Override
    public Optional<Sensitive<byte[]>> get(String id) {
      if (refuse) {
        throw new SecretStoreException("secret_store_locked", "locked");
      }
      byte[] v = values.get(id);
      return v == null ? Optional.empty() : Optional.of(Sensitive.of(v.clone()));
    }

    @Override
    public void put(String id, Sensitive<byte[]> value) {
      if (refuse) {
        throw new SecretStoreException("secret_store_locked", "locked");
      }
      values.put(id, value.reveal().clone());
    }

    @Override
    public boolean delete(String id) {
      return values.remove(id) != null;
    }

    @Override
    public List<String> ids() {
      return new ArrayList<>(values.keySet());
    }
  }

  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws IOException {
      a.write(c);
      synchronized (b) {
        b.write(c);
      }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      synchronized (b) {
        b.write(buf, off, len);
      }
    }
  }
}
