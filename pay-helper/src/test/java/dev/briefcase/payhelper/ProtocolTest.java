package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.x402.Eip3009;
import dev.briefcase.x402.PaymentRequired;
import dev.briefcase.x402.PaymentSignature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Base64;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;

public class ProtocolTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Helpers helper;

  @Before
  public void setUp() throws Exception {
    helper = new Helpers(tmp.getRoot().toPath(), null).withKeys();
  }

  private static void assertError(Helpers.Result r, String code) throws Exception {
    assertNotEquals(0, r.exit());
    JsonNode json = r.json();
    assertEquals(r.stdout(), code, json.path("error").asText());
    assertTrue(json.path("message").isTextual());
  }

  @Test
  public void malformedStdinIsRefused() throws Exception {
    assertError(
        helper.run("{not json".getBytes(StandardCharsets.UTF_8)), "payment_request_invalid");
    assertError(helper.run("[1,2]".getBytes(StandardCharsets.UTF_8)), "payment_request_invalid");
    assertError(helper.run("{} {}".getBytes(StandardCharsets.UTF_8)), "payment_request_invalid");
    assertError(helper.run(new byte[0]), "payment_request_invalid");
  }

  @Test
  public void duplicateMembersAreRefused() throws Exception {
    String twice = "{\"rail\":\"x402_v2\",\"rail\":\"l402\",\"idempotency_key\":\"k1\"}";
    assertError(helper.run(twice.getBytes(StandardCharsets.UTF_8)), "payment_request_invalid");
  }

  @Test
  public void oversizedStdinIsRefusedBeforeParsing() throws Exception {
    byte[] big = new byte[Server.MAX_REQUEST + 1];
    Arrays.fill(big, (byte) ' ');
    big[0] = '{';
    assertError(helper.run(big), "payment_request_invalid");
  }

  @Test
  public void unknownRailIsRefused() throws Exception {
    ObjectNode r =
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "k1");
    r.put("rail", "bitcoin_onchain");
    assertError(helper.serve(r), "payment_request_invalid");
  }

  @Test
  public void missingOrMalformedIdempotencyKeyIsRefused() throws Exception {
    ObjectNode r =
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "k1");
    r.remove("idempotency_key");
    assertError(helper.serve(r), "payment_request_invalid");
    r.put("idempotency_key", "../../etc/passwd");
    assertError(helper.serve(r), "payment_request_invalid");
    r.put("idempotency_key", "k".repeat(129));
    assertError(helper.serve(r), "payment_request_invalid");
    assertFalse(Files.exists(helper.dir.resolve("journal/k1.json")));
  }

  @Test
  public void unknownFieldsAreRefused() throws Exception {
    ObjectNode r =
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "k1");
    r.put("limits_override", true);
    assertError(helper.serve(r), "payment_request_invalid");
  }

  @Test
  public void amountAboveTheHelpersOwnLimitIsRefusedWhateverTheKernelAllows() throws Exception {
    ObjectNode offer = Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "5001");
    assertError(
        helper.serve(Helpers.x402Request(offer, "999999999", "k1")), "payment_limit_exceeded");
    assertFalse(Files.exists(helper.dir.resolve("journal/k1.json")));
  }

  @Test
  public void aZeroAmountOfferIsNotSigned() throws Exception {
    ObjectNode offer = Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "0");
    Helpers.Result r = helper.serve(Helpers.x402Request(offer, "10", "zero"));
    assertError(r, "payment_request_invalid");
    assertFalse(r.stdout().contains("payment_signature"));
    assertFalse(Files.exists(helper.dir.resolve("journal/zero.json")));
  }

  @Test
  public void amountAboveTheRequestsMaxIsRefused() throws Exception {
    ObjectNode offer = Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "100");
    assertError(helper.serve(Helpers.x402Request(offer, "99", "k1")), "payment_limit_exceeded");
  }

  @Test
  public void disallowedNetworkAndAssetAreRefused() throws Exception {
    ObjectNode mainnet = Helpers.offer("eip155:8453", Helpers.ASSET, "10");
    assertError(
        helper.serve(Helpers.x402Request(mainnet, "10", "k1")), "payment_network_not_allowed");
    ObjectNode otherToken =
        Helpers.offer(Helpers.NETWORK, "0x1111111111111111111111111111111111111111", "10");
    assertError(
        helper.serve(Helpers.x402Request(otherToken, "10", "k2")), "payment_asset_not_allowed");
  }

  @Test
  public void acceptedMustBeOneOfTheChallengesOffersVerbatim() throws Exception {
    ObjectNode r =
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "k1");
    ((ObjectNode) r.get("accepted")).put("payTo", "0x2222222222222222222222222222222222222222");
    assertError(helper.serve(r), "payment_request_invalid");
  }

  @Test
  public void signsAnEip3009AuthorisationThatRecoversToTheWalletAddress() throws Exception {
    ObjectNode offer = Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "1000");
    ObjectNode request = Helpers.x402Request(offer, "1000", "call-1");
    Helpers.Result r = helper.serve(request);
    assertEquals(r.stdout(), 0, r.exit());
    JsonNode answer = r.json();
    String expected =
        Keys.toChecksumAddress(
            Keys.getAddress(ECKeyPair.create(new java.math.BigInteger(Helpers.CANARY_KEY, 16))));
    assertEquals(expected, answer.get("payer").asText());
    PaymentSignature sig = PaymentSignature.parse(answer.get("payment_signature_b64").asText());
    assertEquals(offer, sig.accepted());
    assertEquals(answer.get("nonce").asText(), sig.authorization().nonce());
    assertEquals("0", sig.authorization().validAfter().toString());
    var required = PaymentRequired.parse(request.get("payment_required").asText());
    byte[] digest =
        Eip3009.digest(Eip3009.Domain.of(required.accepts().get(0)), sig.authorization());
    assertTrue(Eip3009.sameAddress(expected, Eip3009.recover(digest, sig.signature())));
  }

  @Test
  public void theSameKeyAndRequestGetTheSameSignature() throws Exception {
    ObjectNode request =
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "again");
    Helpers.Result first = helper.serve(request);
    Helpers.Result second = helper.serve(request);
    assertEquals(0, second.exit());
    assertEquals(first.stdout(), second.stdout());
  }

  @Test
  public void theSameKeyWithAnotherRequestIsAConflict() throws Exception {
    helper.serve(
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "dup"));
    Helpers.Result other =
        helper.serve(
            Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "11"), "11", "dup"));
    assertError(other, "payment_idempotency_conflict");
  }

  @Test
  public void aCrashBetweenJournalAndAnswerReplaysTheJournaledAnswer() throws Exception {
    HelperConfig cfg = HelperConfig.read(helper.config);
    char[] pass = "correct horse battery staple".toCharArray();
    Server crashing =
        new Server(
            cfg,
            () -> KeyStoreFile.open(cfg.keyStore(), pass),
            null,
            null,
            java.time.Clock.systemUTC());
    crashing.afterJournal(
        () -> {
          throw new IllegalStateException("power cut");
        });
    ObjectNode request =
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "crash");
    try {
      crashing.serve(request);
    } catch (HelperException | IllegalStateException expected) {
      // the process died after the fsync and before printing
    }
    assertTrue(Files.exists(helper.dir.resolve("journal/crash.json")));
    Helpers.Result replay = helper.serve(request);
    Helpers.Result again = helper.serve(request);
    assertEquals(0, replay.exit());
    assertEquals(replay.stdout(), again.stdout());
  }

  @Test
  public void theCanaryKeyNeverLeavesTheKeyStoreCiphertext() throws Exception {
    Helpers.Result ok =
        helper.serve(
            Helpers.x402Request(
                Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "canary"));
    Helpers.Result refused =
        helper.serve(
            Helpers.x402Request(
                Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "9999"), "9999", "c2"));
    Helpers.Result address = helper.run(null, "address");
    String everything = helper.allFiles();
    String b64 =
        Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(Helpers.CANARY_KEY));
    for (String text :
        new String[] {
          ok.stdout(),
          ok.stderr(),
          refused.stdout(),
          refused.stderr(),
          address.stdout(),
          address.stderr(),
          everything
        }) {
      assertFalse(text.toLowerCase().contains(Helpers.CANARY_KEY));
      assertFalse(text.contains(b64));
    }
    // nor the signature: the journal keeps it sealed
    String signature = ok.json().get("payment_signature_b64").asText();
    assertFalse(helper.allFiles().contains(signature));
    assertFalse(helper.allFiles().contains(signature.substring(0, 40)));
  }

  @Test
  public void wrongPassphraseAnswersKeyUnavailable() throws Exception {
    Files.writeString(helper.passphrase, "not the passphrase\n");
    assertError(
        helper.serve(
            Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "k1")),
        "payment_key_unavailable");
  }

  @Test
  public void aBadConfigurationIsAClearError() throws Exception {
    Files.writeString(
        helper.config,
        "{\"key_store\":\"w\",\"journal\":\"j\",\"limits\":{\"max_amount_msat\":-1}}");
    Helpers.Result r =
        helper.serve(
            Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "k1"));
    assertNotEquals(0, r.exit());
    assertTrue(r.stdout(), r.json().path("message").asText().contains("limits.max_amount_msat"));
  }
}
