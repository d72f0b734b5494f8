package dev.briefcase.payhelper.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class PaymentHelperClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private ObjectNode request() {
    return JSON.createObjectNode().put("rail", "l402").put("idempotency_key", "k1");
  }

  private List<String> script(String body) throws IOException {
    Path p = tmp.newFile().toPath();
    Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return List.of(p.toString());
  }

  private String code(PaymentHelperClient client) {
    try {
      client.call(request(), "preimage");
      fail("expected a refusal");
      return null;
    } catch (PaymentException e) {
      return e.code();
    }
  }

  @Test
  public void passesTheRequestOnStdinAndReturnsTheAnswer() throws Exception {
    Path seen = tmp.getRoot().toPath().resolve("seen.json");
    PaymentHelperClient client =
        new PaymentHelperClient(
            script("cat > " + seen + "; echo '{\"preimage\":\"ab\"}'"), Duration.ofSeconds(10));
    JsonNode answer = client.call(request(), "preimage");
    assertEquals("ab", answer.get("preimage").asText());
    assertEquals(request(), JSON.readTree(seen.toFile()));
  }

  @Test
  public void noCommandIsUnavailable() {
    assertFalse(new PaymentHelperClient(List.of(), null).configured());
    assertEquals("payment_helper_unavailable", code(new PaymentHelperClient(List.of(), null)));
  }

  @Test
  public void aMissingProgramIsUnavailable() {
    assertEquals(
        "payment_helper_unavailable",
        code(new PaymentHelperClient(List.of("/nonexistent/briefcase-pay"), null)));
  }

  @Test
  public void aHangingHelperIsKilledAtTheTimeout() throws Exception {
    Path pid = tmp.getRoot().toPath().resolve("pid");
    PaymentHelperClient client =
        new PaymentHelperClient(script("echo $$ > " + pid + "; sleep 60"), Duration.ofMillis(500));
    assertEquals("payment_helper_timeout", code(client));
    long p = Long.parseLong(Files.readString(pid).strip());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(
        "the helper outlived its timeout",
        ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false));
  }

  @Test
  public void aHelperThatNeverReadsStdinStillAnswers() throws Exception {
    ObjectNode big = request();
    big.put("padding", "x".repeat(600_000));
    PaymentHelperClient client =
        new PaymentHelperClient(script("echo '{\"preimage\":\"cd\"}'"), Duration.ofSeconds(10));
    assertEquals("cd", client.call(big, "preimage").get("preimage").asText());
  }

  @Test
  public void garbageIsAnInvalidResponse() throws Exception {
    assertEquals(
        "payment_helper_invalid_response",
        code(new PaymentHelperClient(script("echo 'not json'"), null)));
    assertEquals(
        "payment_helper_invalid_response",
        code(new PaymentHelperClient(script("echo '{\"preimage\":\"a\"} {}'"), null)));
    assertEquals(
        "payment_helper_invalid_response",
        code(new PaymentHelperClient(script("echo '[\"preimage\"]'"), null)));
    assertEquals(
        "payment_helper_invalid_response",
        code(new PaymentHelperClient(script("echo '{\"preimage\":7}'"), null)));
    assertEquals(
        "payment_helper_invalid_response",
        code(new PaymentHelperClient(script("echo '{\"other\":\"x\"}'"), null)));
  }

  @Test
  public void anAnswerOverOneMebibyteIsRefused() throws Exception {
    assertEquals(
        "payment_helper_invalid_response",
        code(
            new PaymentHelperClient(
                script("head -c 2000000 /dev/zero | tr '\\\\0' 'a'"), Duration.ofSeconds(20))));
  }

  @Test
  public void aKnownHelperErrorKeepsItsCode() throws Exception {
    PaymentHelperClient client =
        new PaymentHelperClient(
            script(
                "echo '{\"error\":\"payment_limit_exceeded\",\"message\":\"over\\\\nlimit\"}';"
                    + " exit 3"),
            null);
    try {
      client.call(request(), "preimage");
      fail();
    } catch (PaymentException e) {
      assertEquals("payment_limit_exceeded", e.code());
      assertFalse(e.getMessage().contains("\n"));
    }
  }

  @Test
  public void anUnknownHelperErrorOrABareExitIsAFailure() throws Exception {
    assertEquals(
        "payment_helper_failed",
        code(new PaymentHelperClient(script("echo '{\"error\":\"internal_x\"}'; exit 1"), null)));
    assertEquals("payment_helper_failed", code(new PaymentHelperClient(script("exit 2"), null)));
  }

  @Test
  public void stderrNeverReachesTheMessage() throws Exception {
    String canary = "CANARY-SECRET-7f3a";
    PaymentHelperClient client =
        new PaymentHelperClient(script("echo " + canary + " >&2; exit 4"), null);
    try {
      client.call(request(), "preimage");
      fail();
    } catch (PaymentException e) {
      assertTrue(e.getMessage().contains("4"));
      assertFalse(e.getMessage().contains(canary));
    }
  }
}
