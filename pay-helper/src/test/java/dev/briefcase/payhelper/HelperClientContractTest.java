package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.payhelper.client.PaymentHelperClient;
import dev.briefcase.payment.PaymentException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The helper as the rails run it: a separate process started by {@link PaymentHelperClient}, its
 * answers read back and its error codes re-thrown as the client's {@link PaymentException} codes.
 */
public class HelperClientContractTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private PaymentHelperClient client(Helpers h) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new PaymentHelperClient(
        List.of(
            java.toString(),
            "-cp",
            System.getProperty("java.class.path"),
            PayHelper.class.getName(),
            "--config",
            h.config.toString(),
            "--passphrase-file",
            h.passphrase.toString()),
        Duration.ofSeconds(60));
  }

  @Test
  public void theClientGetsTheSignatureAndTheHelpersOwnRefusalCodes() throws Exception {
    Helpers h = new Helpers(tmp.getRoot().toPath(), null).withKeys();
    PaymentHelperClient client = client(h);
    JsonNode answer =
        client.call(
            Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "10"), "10", "c-1"),
            "payment_signature_b64");
    assertTrue(answer.get("payer").asText().startsWith("0x"));

    PaymentException over =
        assertThrows(
            PaymentException.class,
            () ->
                client.call(
                    Helpers.x402Request(
                        Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "9999"), "9999", "c-2"),
                    "payment_signature_b64"));
    assertEquals("payment_limit_exceeded", over.code());

    PaymentException conflict =
        assertThrows(
            PaymentException.class,
            () ->
                client.call(
                    Helpers.x402Request(
                        Helpers.offer(Helpers.NETWORK, Helpers.ASSET, "11"), "11", "c-1"),
                    "payment_signature_b64"));
    assertEquals("payment_idempotency_conflict", conflict.code());
  }
}
