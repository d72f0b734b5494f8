package dev.briefcase.rail.l402.internal;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.l402.Bolt11;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The rail against a captured L402 exchange (shared vectors, {@code exchange.json}: an
 * Aperture-style 402 offering {@code LSAT} and {@code L402} in one value, the preimage the
 * harness's node released, and the Authorization the harness accepted with 200).
 */
public class CapturedExchangeTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void theRailAnswersTheCapturedChallengeWithTheAcceptedAuthorization() throws Exception {
    JsonNode ex;
    try (InputStream in = getClass().getResourceAsStream("/l402/exchange.json")) {
      ex = new ObjectMapper().readTree(in).get("exchange");
    }
    JsonNode challenge = ex.get(0).get("response");
    JsonNode paid = ex.get(1).get("response").get("body");
    String accepted = ex.get(2).get("request").get("headers").get("Authorization").asText();
    assertEquals(200, ex.get(2).get("response").get("status").asInt());

    Bolt11 invoice = Bolt11.decode(challenge.get("body").get("invoice").asText());
    Path helper = tmp.newFile().toPath();
    Files.writeString(
        helper,
        "#!/bin/sh\ncat > /dev/null\necho '{\"preimage\":\""
            + paid.get("preimage").asText()
            + "\",\"payment_hash\":\""
            + paid.get("paymentHash").asText()
            + "\"}'\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
    Map<String, Object> values = new HashMap<>();
    values.put("helper_command", new String[] {helper.toString()});
    values.put("networks", new String[] {"bcrt"});
    L402Rail rail =
        new L402Rail(
            L402RailTest.config(values),
            Clock.fixed(Instant.ofEpochSecond(invoice.timestamp() + 60), ZoneOffset.UTC));

    PaymentChallenge c =
        new PaymentChallenge(
            "http://127.0.0.1:4031",
            Map.of(
                "www-authenticate",
                List.of(challenge.get("headers").get("www-authenticate").asText())),
            challenge.get("body").toString(),
            1_000_000,
            "captured-1");
    PaymentQuote q = rail.quote(c);
    assertEquals(100_000, q.amountMicroUsd()); // price_sat 100 at 100,000 USD/BTC
    assertEquals(paid.get("paymentHash").asText(), q.facts().get("payment_hash"));
    assertEquals("bcrt", q.facts().get("network"));
    PaymentProof proof = rail.pay(c, q);
    assertEquals(accepted, proof.retryHeaders().reveal().get("Authorization"));
    assertEquals(
        paid.get("paymentHash").asText(), rail.settled(c, proof, 200, Map.of()).reference());
  }
}
