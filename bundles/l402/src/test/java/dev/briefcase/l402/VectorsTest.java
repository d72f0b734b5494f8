package dev.briefcase.l402;

import static dev.briefcase.l402.Vectors.hex;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

public class VectorsTest {
  private static final JsonNode V = Vectors.L402;
  private static final JsonNode C = V.get("challenge");
  private static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);

  private static List<String> caveats() {
    List<String> out = new ArrayList<>();
    C.get("caveats").forEach(c -> out.add(c.asText()));
    return out;
  }

  @Test
  public void rootKeyDerivationMatchesTheVectors() {
    byte[] rootKey =
        Macaroon.hmac(
            hex(V.get("secrets").get("rootSecretHex")), hex(V.get("inputs").get("tokenIdHex")));
    assertEquals(V.get("secrets").get("rootKeyHex").asText(), hex(rootKey));
  }

  @Test
  public void macaroonParsesToTheVectorFieldsAndSerializesBackByteForByte() throws Exception {
    Macaroon m = Macaroon.parseBase64(C.get("macaroonBase64").asText());
    assertEquals(C.get("macaroonLocation").asText(), m.location());
    assertEquals(C.get("macaroonIdentifierHex").asText(), hex(m.identifier()));
    assertEquals(caveats(), m.caveats());
    assertEquals(C.get("macaroonSignatureHex").asText(), hex(m.signature()));
    assertEquals(C.get("macaroonBase64").asText(), m.toBase64());
  }

  @Test
  public void mintingTheVectorInputsReproducesTheMacaroon() throws Exception {
    byte[] rootKey = hex(V.get("secrets").get("rootKeyHex"));
    L402Identifier id =
        L402Identifier.of(
            hex(C.get("macaroonIdentifierFields").get("paymentHashHex")),
            hex(V.get("inputs").get("tokenIdHex")));
    Macaroon m = Macaroon.mint(rootKey, C.get("macaroonLocation").asText(), id.encode(), caveats());
    assertEquals(C.get("macaroonBase64").asText(), m.toBase64());
    m.verify(rootKey, c -> true);
  }

  @Test
  public void identifierFieldsMatchTheVectors() throws Exception {
    L402Identifier id = L402Identifier.parse(hex(C.get("macaroonIdentifierHex")));
    JsonNode f = C.get("macaroonIdentifierFields");
    assertEquals(f.get("version").asInt(), id.version());
    assertEquals(f.get("paymentHashHex").asText(), id.paymentHashHex());
    assertEquals(f.get("tokenIdHex").asText(), id.tokenIdHex());
    assertEquals(C.get("macaroonIdentifierHex").asText(), hex(id.encode()));
  }

  @Test
  public void invoiceDecodesToTheVectorFields() throws Exception {
    JsonNode d = C.get("invoiceDecoded");
    JsonNode tags = d.get("tags");
    Bolt11 inv = Bolt11.decode(C.get("invoice").asText());
    assertEquals("bcrt", inv.network());
    assertEquals(Long.valueOf(d.get("satoshis").asLong() * 1000), inv.amountMsat());
    assertEquals(d.get("timestamp").asLong(), inv.timestamp());
    assertEquals(d.get("payeeNodeKey").asText(), inv.payeeNodeKeyHex());
    assertEquals(d.get("signatureHex").asText(), hex(inv.signature()));
    assertEquals(d.get("recoveryFlag").asInt(), inv.recoveryId());
    assertEquals(tags.get("payment_hash").asText(), inv.paymentHashHex());
    assertEquals(tags.get("payment_secret").asText(), hex(inv.paymentSecret()));
    assertEquals(tags.get("description").asText(), inv.description());
    assertEquals(tags.get("expire_time").asLong(), inv.expirySeconds());
    assertEquals(tags.get("min_final_cltv_expiry").asLong(), inv.minFinalCltvExpiry());
    assertNull(inv.descriptionHash());
    assertFalse(inv.hasPayeeNodeKeyField());
    // var_onion_optin (8/9) and payment_secret (14/15), required and supported
    for (int bit : new int[] {8, 9, 14, 15}) {
      assertTrue("feature " + bit, inv.feature(bit));
    }
    assertFalse(inv.feature(16));
    assertEquals(
        V.get("secrets").get("nodePrivateKeyHex").asText().length(), 64); // the key signs below
    assertArrayEquals(
        Bolt11.publicKey(hex(V.get("secrets").get("nodePrivateKeyHex"))), inv.payeeNodeKey());
  }

  @Test
  public void encodingTheVectorInputsReproducesTheInvoiceExactly() throws Exception {
    Bolt11 inv = Bolt11.decode(C.get("invoice").asText());
    Bolt11.Fields f = new Bolt11.Fields();
    f.network = "bcrt";
    f.amountMsat = V.get("inputs").get("priceSat").asLong() * 1000;
    f.timestamp = V.get("inputs").get("invoiceTimestamp").asLong();
    f.paymentHash = inv.paymentHash();
    f.paymentSecret = hex(V.get("inputs").get("paymentSecretHex"));
    f.description = inv.description();
    f.expirySeconds = 3600L;
    f.minFinalCltvExpiry = 80L;
    f.features = inv.features();
    assertEquals(
        C.get("invoice").asText(),
        Bolt11.encode(f, hex(V.get("secrets").get("nodePrivateKeyHex"))));
  }

  @Test
  public void thePreimageHashesToThePaymentHash() {
    String preimage = V.get("inputs").get("preimageHex").asText();
    String hash = C.get("invoiceDecoded").get("tags").get("payment_hash").asText();
    assertTrue(Preimage.matches(preimage, hash));
    assertFalse(Preimage.matches("00".repeat(32), hash));
  }

  @Test
  public void theWwwAuthenticateValueScansToTheVectorMacaroonAndInvoice() throws Exception {
    List<L402Challenge> found = L402Challenge.scan(List.of(C.get("wwwAuthenticate").asText()));
    assertEquals(1, found.size());
    assertEquals("L402", found.get(0).scheme());
    assertEquals(C.get("macaroonBase64").asText(), found.get(0).macaroon());
    assertEquals(C.get("invoice").asText(), found.get(0).invoice());
  }

  @Test
  public void everyValidAuthorizationIsAcceptedAndEveryInvalidOneGetsTheExpectedAnswer() {
    L402Server server = new L402Server(hex(V.get("secrets").get("rootSecretHex")), NOW);
    int checked = 0;
    for (String kind : new String[] {"valid", "invalid"}) {
      for (JsonNode c : V.get(kind)) {
        String why = c.has("why") ? c.get("why").asText() : kind;
        assertEquals(why, c.get("expect").asInt(), server.answer(c.get("authorization").asText()));
        checked++;
      }
    }
    assertEquals(8, checked);
  }

  @Test
  public void authorizationFormatsBackToWhatTheVectorsSend() throws Exception {
    String value = V.get("valid").get(0).get("authorization").asText();
    assertEquals(value, L402Authorization.parse(value).format());
  }

  @Test
  public void theCapturedExchangeParses() throws Exception {
    JsonNode ex = Vectors.EXCHANGE.get("exchange");
    JsonNode first = ex.get(0).get("response");
    List<L402Challenge> found =
        L402Challenge.scan(List.of(first.get("headers").get("www-authenticate").asText()));
    // the harness offers the same token under both scheme names in one value
    assertEquals(2, found.size());
    assertEquals("LSAT", found.get(0).scheme());
    assertEquals("L402", found.get(1).scheme());
    assertEquals(first.get("body").get("macaroon").asText(), found.get(1).macaroon());
    assertEquals(first.get("body").get("invoice").asText(), found.get(1).invoice());

    Bolt11 inv = Bolt11.decode(found.get(0).invoice());
    L402Identifier id =
        L402Identifier.parse(Macaroon.parseBase64(found.get(0).macaroon()).identifier());
    assertEquals(inv.paymentHashHex(), id.paymentHashHex());
    assertEquals(
        Long.valueOf(first.get("body").get("price_sat").asLong() * 1000), inv.amountMsat());
    JsonNode paid = ex.get(1).get("response").get("body");
    assertEquals(inv.paymentHashHex(), paid.get("paymentHash").asText());
    assertTrue(Preimage.matches(paid.get("preimage").asText(), inv.paymentHash()));
    assertEquals(
        ex.get(2).get("request").get("headers").get("Authorization").asText(),
        new L402Authorization("L402", found.get(1).macaroon(), paid.get("preimage").asText())
            .format());

    int challenges = 0;
    int refused = 0;
    for (JsonNode step : ex) {
      JsonNode h = step.get("response").get("headers").get("www-authenticate");
      if (h != null) {
        for (L402Challenge c : L402Challenge.scan(List.of(h.asText()))) {
          Bolt11.decode(c.invoice());
          L402Identifier.parse(Macaroon.parseBase64(c.macaroon()).identifier());
          challenges++;
        }
      }
      JsonNode auth = step.get("request").get("headers").get("Authorization");
      if (auth != null && step.get("response").get("status").asInt() == 402) {
        // the harness answered a fresh challenge: the credential was malformed
        String value = auth.asText();
        L402Exception e = assertThrows(L402Exception.class, () -> L402Authorization.parse(value));
        assertEquals("authorization_invalid", e.code());
        refused++;
      } else if (auth != null) {
        L402Authorization a = L402Authorization.parse(auth.asText());
        Macaroon.parseBase64(a.macaroon());
      }
    }
    assertTrue(challenges >= 2);
    assertEquals(3, refused);
  }
}
