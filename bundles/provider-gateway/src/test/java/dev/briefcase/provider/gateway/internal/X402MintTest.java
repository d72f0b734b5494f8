package dev.briefcase.provider.gateway.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.testing.X402Chain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The provider's paid mint against the fixture's facilitator on anvil: a PAYMENT-SIGNATURE made by
 * the reference client ({@code @x402/fetch}, {@code @x402/core}) mints a capability token and moves
 * the token balance exactly once; tampered terms, replays (also after a restart, when only the
 * chain remembers the nonce) and expired authorizations are refused with a fresh 402 and move
 * nothing; no signature reaches a log, an answer or an error message.
 */
public class X402MintTest {
  private static X402Chain chain;
  private static final ByteArrayOutputStream LOGS = new ByteArrayOutputStream();
  private static PrintStream originalErr;

  private Fixture fixture;
  private ProviderApi api;
  private HttpServer server;
  private final List<String> seenSignatures = new ArrayList<>();
  private final List<String> answers = new ArrayList<>();

  @BeforeClass
  public static void startChain() throws Exception {
    // slf4j-simple writes to the System.err of the moment: every log line of these tests is kept
    // (the pom puts X402Acceptor at DEBUG)
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, LOGS), true, StandardCharsets.UTF_8));
    chain = X402Chain.start(Files.createTempDirectory("x402-mint"));
  }

  @AfterClass
  public static void stopChain() throws Exception {
    try {
      // the canary checks read a log that really holds the refusals
      assertTrue(LOGS.toString(StandardCharsets.UTF_8).contains("paid mint refused"));
      if (chain != null) {
        chain.close();
      }
    } finally {
      System.setErr(originalErr);
    }
  }

  @Before
  public void provider() throws Exception {
    fixture = new Fixture();
    fixture.clock.now = Instant.now();
    api = api(fixture);
  }

  @org.junit.After
  public void stopServer() {
    if (server != null) {
      server.stop(0);
    }
    String logs = LOGS.toString(StandardCharsets.UTF_8);
    for (String sig : seenSignatures) {
      String inner = signatureHex(sig);
      for (String text : answers) {
        assertFalse("an answer holds the signature", text.contains(sig) || text.contains(inner));
      }
      assertFalse("the log holds a PAYMENT-SIGNATURE", logs.contains(sig));
      assertFalse("the log holds the EIP-712 signature", logs.contains(inner));
    }
  }

  private ProviderApi api(Fixture f) {
    PaymentChallenge.X402Offer offer =
        new PaymentChallenge.X402Offer(
            chain.network(),
            chain.token(),
            chain.payTo().address(),
            chain.amount().toString(),
            "USD Coin",
            "2",
            60);
    HttpFacilitator facilitator =
        HttpFacilitator.of(chain.facilitatorUrl(), Duration.ofSeconds(30));
    return f.api(
        Fixture.settings(1000, false, false, 0, null),
        new PaymentChallenge(offer, null, 1000, X402Acceptor.factory(facilitator, f.clock)));
  }

  @Test
  public void theReferenceClientsSignatureMintsATokenAndMovesTheBalanceOnce() throws Exception {
    X402Chain.Account payer = chain.accounts().get(3);
    BigInteger payerBefore = chain.balanceOf(payer.address());
    BigInteger payToBefore = chain.balanceOf(chain.payTo().address());
    int transfersBefore = chain.transferCount(payer.address());
    String url = serve();

    JsonNode paid =
        chain.pay(url, payer, "POST", "application/json", "{\"scope\":\"quote\"}", chain.amount());
    seenSignatures.add(paid.path("paymentSignature").asText());
    answers.add(paid.path("body").asText());
    answers.add(paid.path("paymentResponse").toString());

    assertEquals(paid.path("body").asText(), 200, paid.path("status").asInt());
    JsonNode body = Json.MAPPER.readTree(paid.path("body").asText());
    assertTrue(body.path("token").asText().split("\\.").length == 3);
    JsonNode receipt = paid.path("paymentResponse");
    assertTrue(receipt.path("success").asBoolean());
    assertEquals(payer.address(), receipt.path("payer").asText());
    assertEquals(chain.network(), receipt.path("network").asText());
    assertTrue(receipt.path("transaction").asText().matches("0x[0-9a-f]{64}"));
    assertEquals(payerBefore.subtract(chain.amount()), chain.balanceOf(payer.address()));
    assertEquals(payToBefore.add(chain.amount()), chain.balanceOf(chain.payTo().address()));
    assertEquals(transfersBefore + 1, chain.transferCount(payer.address()));

    // the same signature again, here and at a restarted provider that only the chain can stop
    String signature = paid.path("paymentSignature").asText();
    assertRefused(mint(api, paying(signature)), X402Acceptor.REPLAY);
    Fixture restarted = new Fixture();
    restarted.clock.now = Instant.now();
    assertRefused(mint(api(restarted), paying(signature)), X402Acceptor.REPLAY);
    assertEquals(payerBefore.subtract(chain.amount()), chain.balanceOf(payer.address()));
    assertEquals(transfersBefore + 1, chain.transferCount(payer.address()));
  }

  @Test
  public void tamperedAcceptedTermsAreRefusedBeforeTheFacilitator() throws Exception {
    X402Chain.Account payer = chain.accounts().get(4);
    String signature = signFor(payer);
    BigInteger before = chain.balanceOf(payer.address());
    for (String[] change :
        new String[][] {
          {"amount", "1"},
          {"payTo", chain.payer().address()},
          {"network", "eip155:8453"},
          {"maxTimeoutSeconds", null},
          {"extra", null},
        }) {
      ObjectNode payload = decode(signature);
      ObjectNode accepted = (ObjectNode) payload.get("accepted");
      if (change[0].equals("maxTimeoutSeconds")) {
        accepted.put("maxTimeoutSeconds", 61);
      } else if (change[0].equals("extra")) {
        ((ObjectNode) accepted.get("extra")).put("version", "1");
      } else {
        accepted.put(change[0], change[1]);
      }
      assertRefused(mint(api, paying(encode(payload))), X402Acceptor.TERMS_MISMATCH);
    }
    // the authorization itself paying someone else or less is a mismatch too
    ObjectNode payload = decode(signature);
    ((ObjectNode) payload.at("/payload/authorization")).put("value", "1");
    assertRefused(mint(api, paying(encode(payload))), X402Acceptor.TERMS_MISMATCH);
    ObjectNode elsewhere = decode(signature);
    ((ObjectNode) elsewhere.at("/payload/authorization")).put("to", payer.address());
    assertRefused(mint(api, paying(encode(elsewhere))), X402Acceptor.TERMS_MISMATCH);
    assertEquals(before, chain.balanceOf(payer.address()));

    // the untouched signature still pays: nothing above spent its nonce
    ApiResponse ok = mint(api, paying(signature));
    assertEquals(200, ok.status());
    assertEquals(before.subtract(chain.amount()), chain.balanceOf(payer.address()));
  }

  @Test
  public void anAuthorizationWithLessThanSixSecondsLeftIsRefusedAndNotSettled() throws Exception {
    X402Chain.Account payer = chain.accounts().get(5);
    String signature = signFor(payer);
    long validBefore = decode(signature).at("/payload/authorization/validBefore").asLong();
    BigInteger before = chain.balanceOf(payer.address());

    fixture.clock.now = Instant.ofEpochSecond(validBefore - 5);
    assertRefused(mint(api, paying(signature)), X402Acceptor.EXPIRED);
    assertEquals(before, chain.balanceOf(payer.address()));

    fixture.clock.now = Instant.ofEpochSecond(validBefore - 6);
    assertEquals(200, mint(api, paying(signature)).status());
    assertEquals(before.subtract(chain.amount()), chain.balanceOf(payer.address()));
  }

  @Test
  public void aUrlSafeSignatureGetsAFreshChallengeAndTheStandardOnePays() throws Exception {
    X402Chain.Account payer = chain.accounts().get(6);
    ObjectNode payload = decode(signFor(payer));
    // "??>" encodes to "Pz8+": the payload now has a character that URL-safe base64 changes
    ((ObjectNode) payload.get("resource")).put("description", "??>??>");
    byte[] json = Json.bytes(payload);
    String urlSafe = Base64.getUrlEncoder().encodeToString(json);
    String standard = Base64.getEncoder().encodeToString(json);
    seenSignatures.add(standard);
    BigInteger before = chain.balanceOf(payer.address());

    assertRefused(mint(api, paying(urlSafe)), X402Acceptor.INVALID);
    assertRefused(mint(api, paying(standard.replaceAll("=+$", ""))), X402Acceptor.INVALID);
    assertEquals(before, chain.balanceOf(payer.address()));
    assertEquals(200, mint(api, paying(standard)).status());
    assertEquals(before.subtract(chain.amount()), chain.balanceOf(payer.address()));
  }

  private void assertRefused(ApiResponse r, String code) {
    answers.add(new String(r.body(), StandardCharsets.UTF_8));
    answers.add(r.headers().toString());
    assertEquals(402, r.status());
    assertEquals(code, r.headers().get("x-briefcase-error"));
    String required = r.headers().get("PAYMENT-REQUIRED");
    assertNotNull(required);
    JsonNode challenge = Json.MAPPER.valueToTree(decodeJson(required));
    assertEquals(code, challenge.path("error").asText());
    assertEquals(chain.token(), challenge.at("/accepts/0/asset").asText());
  }

  private String signFor(X402Chain.Account payer) throws Exception {
    ApiResponse challenge = mint(api, Fixture.headers());
    assertEquals(402, challenge.status());
    String signature =
        chain.sign(challenge.headers().get("PAYMENT-REQUIRED"), payer, chain.amount());
    seenSignatures.add(signature);
    return signature;
  }

  private static ApiResponse mint(ProviderApi api, RequestHeaders headers) {
    return ProviderApi.answer(() -> api.mint(headers, new byte[0]));
  }

  private static RequestHeaders paying(String signature) {
    return Fixture.headers("PAYMENT-SIGNATURE", signature);
  }

  private static ObjectNode decode(String header) {
    return (ObjectNode) decodeJson(header);
  }

  private static JsonNode decodeJson(String header) {
    try {
      return Json.MAPPER.readTree(Base64.getDecoder().decode(header));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static String encode(JsonNode payload) {
    return Base64.getEncoder().encodeToString(Json.bytes(payload));
  }

  private static String signatureHex(String header) {
    return decodeJson(header).at("/payload/signature").asText();
  }

  /** POST /token on a JDK server over this test's provider API, as the servlet would. */
  private String serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/token",
        exchange -> {
          byte[] body;
          try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
          }
          Map<String, List<String>> h = exchange.getRequestHeaders();
          ApiResponse r =
              ProviderApi.answer(() -> api.mint(name -> h.getOrDefault(name, List.of()), body));
          r.headers().forEach(exchange.getResponseHeaders()::add);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.getResponseHeaders().add("Access-Control-Expose-Headers", "PAYMENT-RESPONSE");
          exchange.sendResponseHeaders(r.status(), r.body().length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(r.body());
          }
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  /** Writes to two streams. */
  private static final class TeeStream extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    TeeStream(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
