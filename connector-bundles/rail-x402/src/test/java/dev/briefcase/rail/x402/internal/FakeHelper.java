package dev.briefcase.rail.x402.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payhelper.client.PaymentHelperClient;
import dev.briefcase.x402.Authorization;
import dev.briefcase.x402.Eip3009;
import dev.briefcase.x402.Offer;
import dev.briefcase.x402.PaymentRequired;
import dev.briefcase.x402.PaymentSignature;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;

/**
 * A stand-in for {@code bin/briefcase-pay}: a shell script written into a temporary folder that
 * records its stdin and prints a canned answer, signed here with a test key the way the real helper
 * signs.
 */
final class FakeHelper {
  static final ObjectMapper JSON = new ObjectMapper();
  static final ECKeyPair KEY =
      ECKeyPair.create(
          new BigInteger("7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6", 16));
  static final String PAYER = Keys.toChecksumAddress(Keys.getAddress(KEY));
  static final String NONCE = "0x" + "ab".repeat(32);
  static final long NOW = 1_800_000_000L;

  private final Path dir;

  FakeHelper(Path dir) {
    this.dir = dir;
  }

  Path seen() {
    return dir.resolve("seen.json");
  }

  /** A helper that prints {@code stdout} after reading its request. */
  PaymentHelperClient printing(String stdout) throws IOException {
    Path answer = Files.createTempFile(dir, "answer", ".json");
    Files.writeString(answer, stdout, StandardCharsets.UTF_8);
    return script("cat > " + seen() + "; cat " + answer, Duration.ofSeconds(20));
  }

  PaymentHelperClient script(String body, Duration timeout) throws IOException {
    Path p = Files.createTempFile(dir, "helper", ".sh");
    Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return new PaymentHelperClient(List.of(p.toString()), timeout);
  }

  /** An authorisation paying {@code offer}, as the real helper makes it. */
  static Authorization authorization(Offer offer) {
    return new Authorization(
        PAYER,
        offer.payTo(),
        offer.amount(),
        BigInteger.ZERO,
        BigInteger.valueOf(NOW + offer.maxTimeoutSeconds()),
        NONCE);
  }

  /** The PAYMENT-SIGNATURE for {@code authorization}, signed over {@code domainOffer}'s domain. */
  static String signed(
      PaymentRequired required,
      ObjectNode accepted,
      Authorization authorization,
      Offer domainOffer) {
    byte[] digest = Eip3009.digest(Eip3009.Domain.of(domainOffer), authorization);
    return PaymentSignature.build(required, accepted, authorization, Eip3009.sign(digest, KEY));
  }

  static String answer(String paymentSignature) {
    return JSON.createObjectNode()
        .put("payment_signature_b64", paymentSignature)
        .put("payer", PAYER)
        .put("nonce", NONCE)
        .toString();
  }

  static String b64(String json) {
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
