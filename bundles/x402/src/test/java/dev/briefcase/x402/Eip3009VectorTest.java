package dev.briefcase.x402;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import org.junit.Test;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;

public class Eip3009VectorTest {

  private static Authorization authorization(JsonNode m) {
    return new Authorization(
        m.get("from").asText(),
        m.get("to").asText(),
        new BigInteger(m.get("value").asText()),
        new BigInteger(m.get("validAfter").asText()),
        new BigInteger(m.get("validBefore").asText()),
        m.get("nonce").asText());
  }

  private static Eip3009.Domain domain(JsonNode d) {
    return new Eip3009.Domain(
        d.get("name").asText(),
        d.get("version").asText(),
        BigInteger.valueOf(d.get("chainId").asLong()),
        d.get("verifyingContract").asText());
  }

  @Test
  public void reproducesTheReferenceClientsTypedDataHashesAndSignatureByteForByte()
      throws Exception {
    JsonNode v = Vectors.load("eip712-vector.json");
    Eip3009.Domain domain = domain(v.get("domain"));
    Authorization auth = authorization(v.get("message"));
    assertEquals(v.get("typeHash").asText(), Eip3009.hex(Eip3009.typeHash()));
    assertEquals(v.get("domainSeparator").asText(), Eip3009.hex(Eip3009.domainSeparator(domain)));
    assertEquals(v.get("structHash").asText(), Eip3009.hex(Eip3009.structHash(auth)));
    byte[] digest = Eip3009.digest(domain, auth);
    assertEquals(v.get("digest").asText(), Eip3009.hex(digest));

    ECKeyPair key = ECKeyPair.create(new BigInteger(v.get("privateKey").asText().substring(2), 16));
    assertEquals(v.get("signerAddress").asText(), Keys.toChecksumAddress(Keys.getAddress(key)));
    assertEquals(v.get("signature").asText(), Eip3009.sign(digest, key));
    assertEquals(
        v.get("signerAddress").asText(), Eip3009.recover(digest, v.get("signature").asText()));
  }

  @Test
  public void anExternalSignerReturningHighSIsNormalisedAndGetsItsVByRecovery() throws Exception {
    JsonNode v = Vectors.load("eip712-vector.json");
    byte[] digest = Eip3009.digest(domain(v.get("domain")), authorization(v.get("message")));
    ECKeyPair key = ECKeyPair.create(new BigInteger(v.get("privateKey").asText().substring(2), 16));
    BigInteger n = org.web3j.crypto.Sign.CURVE_PARAMS.getN();
    // what a PKCS#11 token may return: the same signature with s in the high half, no v
    Eip3009.DigestSigner token =
        d -> {
          var sig = key.sign(d);
          return new BigInteger[] {sig.r, n.subtract(sig.s)};
        };
    assertEquals(
        v.get("signature").asText(), Eip3009.sign(digest, token, v.get("signerAddress").asText()));
  }

  @Test
  public void anExternalSignatureThatRecoversToAnotherAddressIsRefused() throws Exception {
    JsonNode v = Vectors.load("eip712-vector.json");
    byte[] digest = Eip3009.digest(domain(v.get("domain")), authorization(v.get("message")));
    ECKeyPair other = ECKeyPair.create(BigInteger.TWO);
    Eip3009.DigestSigner token =
        d -> {
          var sig = other.sign(d);
          return new BigInteger[] {sig.r, sig.s};
        };
    try {
      Eip3009.sign(digest, token, v.get("signerAddress").asText());
      org.junit.Assert.fail("a foreign key's signature was accepted");
    } catch (dev.briefcase.payment.PaymentException e) {
      assertEquals("payment_invalid", e.code());
    }
  }
}
