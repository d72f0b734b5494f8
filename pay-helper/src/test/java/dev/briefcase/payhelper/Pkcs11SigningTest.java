package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.testing.SoftHsmToken;
import dev.briefcase.x402.Eip3009;
import dev.briefcase.x402.PaymentRequired;
import dev.briefcase.x402.PaymentSignature;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The EVM key on a PKCS#11 token (SoftHSM2): generated non-extractable on the token, the token
 * signs the EIP-712 digest and the signature recovers to the token key's address.
 */
public class Pkcs11SigningTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static SoftHsmToken token;

  @BeforeClass
  public static void createToken() throws Exception {
    Path conf =
        Path.of(System.getProperty("softhsm.dir", "target/softhsm")).resolve("softhsm2.conf");
    Files.createDirectories(conf.getParent());
    token = SoftHsmToken.create(conf, "briefcase-pay", "4321");
  }

  private Helpers helper(String pin, String keyLabel) throws Exception {
    Path pinFile = tmp.getRoot().toPath().resolve("pin");
    Files.writeString(pinFile, pin + "\n");
    ObjectNode cfg = Helpers.JSON.createObjectNode();
    ObjectNode pk = cfg.putObject("evm_pkcs11");
    pk.put("module", SoftHsmToken.MODULE).put("token_label", token.label);
    pk.put("key_label", keyLabel).put("pin_file", pinFile.toString());
    Helpers h = new Helpers(tmp.getRoot().toPath(), cfg);
    assertEquals(0, h.run(null, "init").exit());
    return h;
  }

  @Test
  public void theTokenSignsAnAuthorisationThatRecoversToItsAddress() throws Exception {
    Helpers h = helper(token.pin, "evm-1");
    Helpers.Result keygen = h.run(null, "pkcs11-keygen");
    assertEquals(keygen.stderr(), 0, keygen.exit());
    String address = keygen.stdout().strip();
    assertTrue(address, address.matches("0x[0-9a-fA-F]{40}"));

    ObjectNode request =
        Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "100"), "100", "hsm-1");
    Helpers.Result r = h.serve(request);
    assertEquals(r.stdout(), 0, r.exit());
    JsonNode answer = r.json();
    assertEquals(address, answer.get("payer").asText());
    PaymentSignature sig = PaymentSignature.parse(answer.get("payment_signature_b64").asText());
    var required = PaymentRequired.parse(request.get("payment_required").asText());
    byte[] digest =
        Eip3009.digest(Eip3009.Domain.of(required.accepts().get(0)), sig.authorization());
    assertTrue(Eip3009.sameAddress(address, Eip3009.recover(digest, sig.signature())));
    // a second key generation under the same label is refused: the address cannot change silently
    assertNotEquals(0, h.run(null, "pkcs11-keygen").exit());
  }

  @Test
  public void aWrongPinIsKeyUnavailable() throws Exception {
    Helpers ok = helper(token.pin, "evm-2");
    assertEquals(0, ok.run(null, "pkcs11-keygen").exit());
    Files.writeString(tmp.getRoot().toPath().resolve("pin"), "0000\n");
    Helpers.Result r =
        ok.serve(
            Helpers.x402Request(
                Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "100"), "100", "hsm-2"));
    assertEquals("payment_key_unavailable", r.json().path("error").asText());
  }
}
