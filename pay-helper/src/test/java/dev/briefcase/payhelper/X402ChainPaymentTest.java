package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.testing.X402Chain;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The helper's PAYMENT-SIGNATURE is accepted by the reference server ({@code @x402/express}) and
 * settled by the facilitator on anvil: the token moves once, and the journaled replay of the same
 * idempotency key is the same signature, which the chain does not take twice.
 */
public class X402ChainPaymentTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static X402Chain chain;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeClass
  public static void startChain() throws Exception {
    chain = X402Chain.start(Files.createTempDirectory("x402-chain"));
  }

  @AfterClass
  public static void stopChain() throws Exception {
    if (chain != null) {
      chain.close();
    }
  }

  private Helpers helper(X402Chain.Account payer) throws Exception {
    ObjectNode cfg = Helpers.JSON.createObjectNode();
    ObjectNode limits = cfg.putObject("limits");
    limits.putArray("networks").add(chain.network());
    limits
        .putArray("assets")
        .addObject()
        .put("network", chain.network())
        .put("address", chain.token())
        .put("max_atomic", chain.amount().toString());
    Helpers h = new Helpers(tmp.getRoot().toPath(), cfg);
    if (h.run(null, "init").exit() != 0) {
      throw new IllegalStateException("init");
    }
    Path key = tmp.newFile().toPath();
    Files.writeString(key, payer.privateKey());
    Helpers.Result imported = h.run(null, "import-evm-key", "--key-file", key.toString());
    assertEquals(imported.stderr(), 0, imported.exit());
    assertEquals(payer.address(), imported.stdout().strip());
    return h;
  }

  private static HttpResponse<String> get(String header) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(chain.paidUrl()));
    if (header != null) {
      b.header("PAYMENT-SIGNATURE", header);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  public void theReferenceServerAcceptsTheHelpersSignatureAndSettlesItOnce() throws Exception {
    X402Chain.Account payer = chain.accounts().get(6);
    Helpers h = helper(payer);
    HttpResponse<String> challenge = get(null);
    assertEquals(402, challenge.statusCode());
    String required = challenge.headers().firstValue("payment-required").orElseThrow();
    ObjectNode accepted =
        (ObjectNode)
            Helpers.JSON
                .readTree(java.util.Base64.getDecoder().decode(required))
                .path("accepts")
                .get(0);
    ObjectNode request = Helpers.JSON.createObjectNode();
    request.put("rail", "x402_v2").put("provider_base_url", chain.paidUrl());
    request.put("payment_required", required).set("accepted", accepted);
    request.put("max_amount", chain.amount().toString()).put("idempotency_key", "chain-1");

    BigInteger before = chain.balanceOf(payer.address());
    Helpers.Result signed = h.serve(request);
    assertEquals(signed.stdout(), 0, signed.exit());
    String header = signed.json().get("payment_signature_b64").asText();

    HttpResponse<String> paid = get(header);
    assertEquals(paid.body(), 200, paid.statusCode());
    assertNotNull(paid.headers().firstValue("payment-response").orElse(null));
    assertEquals(before.subtract(chain.amount()), chain.balanceOf(payer.address()));

    // a retry of the same call gets the journaled signature, which the chain refuses to spend again
    Helpers.Result again = h.serve(request);
    assertEquals(header, again.json().get("payment_signature_b64").asText());
    HttpResponse<String> replayed = get(header);
    assertEquals(402, replayed.statusCode());
    assertEquals(before.subtract(chain.amount()), chain.balanceOf(payer.address()));
    assertEquals(1, chain.transferCount(payer.address()));
  }
}
