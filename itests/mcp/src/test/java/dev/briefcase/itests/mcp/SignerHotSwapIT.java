package dev.briefcase.itests.mcp;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.SignedJWT;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.testing.Poll;
import dev.briefcase.testing.SoftHsmToken;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.Test;

/**
 * Issue 5 + the signer family's hot swap: several MCP clients call {@code extra_dpop} through the
 * gateway without pause; each call makes the key directory sign a fresh DPoP proof with a
 * non-extractable P-256 key on a real SoftHSM2 token. Meanwhile the PKCS#11 signer bundle is
 * installed, updated twice (new Bundle-Version each time) and uninstalled. No call may fail, except
 * with {@code backend_unavailable} after the uninstall; a sample of proofs is verified with Nimbus
 * against the published JWK.
 */
public class SignerHotSwapIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CLIENTS = 6;
  private static final String CALL =
      "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
          + "\"params\":{\"name\":\"extra_dpop\",\"arguments\":{}}}";

  @Test
  public void pkcs11SignerSwapUnderLoadDropsNoSignature() throws Exception {
    Path signerJar =
        FeatureBundles.built(
            "signer-bundles/signer-pkcs11/target/dev.briefcase.signer.pkcs11-0.1.0-SNAPSHOT.jar");
    Path connectorJar = FeatureBundles.testConnector();
    Path work = Files.createTempDirectory("briefcase-signer-swap");
    SoftHsmToken token =
        SoftHsmToken.create(work.resolve("softhsm/softhsm2.conf"), "briefcase-itest", "7391");

    // the wrapper library and the signer's factory configuration; the signer bundle itself is a
    // plugin installed, updated and removed through the plugin service below
    Path feature = work.resolve("pkcs11-itest.json");
    Files.writeString(
        feature,
        "{\"feature-resource-version\":\"1.0\","
            + "\"id\":\"dev.briefcase:dev.briefcase.feature.itest-pkcs11:0.1.0-SNAPSHOT\","
            + "\"bundles\":[{\"id\":\"org.xipki:ipkcs11wrapper:1.0.9\",\"start-order\":4}],"
            + "\"configurations\":{\"dev.briefcase.signer.pkcs11~itest\":{"
            + "\"signer.id\":\"pkcs11\",\"module.path\":\""
            + SoftHsmToken.MODULE
            + "\",\"token.label\":\""
            + token.label
            + "\",\"pin.secret.id\":\"signer.pkcs11.pin\"}}}");
    Path v2 = withVersion(signerJar, work.resolve("signer-v2.jar"), "0.1.0.swap2");
    Path v3 = withVersion(signerJar, work.resolve("signer-v3.jar"), "0.1.0.swap3");

    try (Gateway gw =
        Gateway.start(
            "signer-swap",
            Map.of("SOFTHSM2_CONF", token.conf.toString(), "BRIEFCASE_KEY_BACKEND", "pkcs11"),
            "--feature",
            feature.toString())) {
      Distribution d = gw.dist;
      String pinB64 =
          Base64.getEncoder().encodeToString(token.pin.getBytes(StandardCharsets.UTF_8));
      assertEquals(
          200,
          d.post("/v1/secrets/signer.pkcs11.pin", "{\"value_b64\":\"" + pinB64 + "\"}").status());
      assertEquals(200, d.postBytes("/v1/plugins", bytes(connectorJar), JAR).status());

      Distribution.Answer installed = d.postBytes("/v1/plugins", bytes(signerJar), JAR);
      assertEquals(installed.body(), 200, installed.status());
      long bundle = installed.json().get("bundle_id").asLong();
      waitFor(() -> hasHardwareBackend(d, "pkcs11"), "the PKCS#11 signer to register");
      Distribution.Answer key =
          d.post("/v1/keys/dpop:itest", "{\"backend\":\"pkcs11\",\"algorithm\":\"p256\"}");
      assertEquals(key.body(), 200, key.status());
      assertTrue(key.json().get("hardware_backed").asBoolean());
      JWK published = JWK.parse(key.json().get("public_jwk").toString());

      Load load = new Load(gw);
      load.start();
      try {
        waitFor(() -> load.ok.get() > 300, "signed calls to flow before the swap");
        // warm up (JIT) for up to 20 s so the swap window runs at a steady rate
        Poll.within(Duration.ofSeconds(20), () -> load.ok.get() >= 3000);
        long windowStart = System.nanoTime();
        long callsBefore = load.total();

        long[] landedToFirst = new long[2];
        long[] updateMs = new long[2];
        long[] gapMs = new long[2];
        Path[] updates = {v2, v3};
        for (int i = 0; i < 2; i++) {
          long sent = System.nanoTime();
          Distribution.Answer u =
              d.postBytes("/v1/plugins/" + bundle + "/update", bytes(updates[i]), JAR);
          long landed = System.nanoTime();
          updateMs[i] = (landed - sent) / 1_000_000;
          assertEquals(u.body(), 200, u.status());
          assertEquals("0.1.0.swap" + (i + 2), u.json().get("version").asText());
          long okBefore = load.ok.get();
          waitFor(() -> load.firstOkAfter(landed) > 0, "a signature after update " + (i + 1));
          landedToFirst[i] = (load.firstOkAfter(landed) - landed) / 1_000_000;
          final long base = okBefore;
          waitFor(() -> load.ok.get() > base + 1000, "signed calls after update " + (i + 1));
          gapMs[i] = load.longestGap(sent, landed + 2_000_000_000L) / 1_000_000;
        }

        long callsAtUninstall = load.total();
        load.uninstalledAt = System.nanoTime();
        assertEquals(200, d.post("/v1/plugins/" + bundle + "/uninstall", "").status());
        waitFor(() -> load.unavailable.get() > 20, "backend_unavailable after the uninstall");
        load.stop();

        double seconds = (load.stoppedAt - load.startedAt) / 1e9;
        long total = load.total();
        double window = (load.uninstalledAt - windowStart) / 1e9;
        System.out.printf(
            "signer hot swap through MCP: %d clients, %d calls in %.1f s; while updating twice %d"
                + " calls in %.1f s = %.0f calls/s (after the uninstall calls fail at once: an"
                + " uninstalled signer gets no swap grace); %d signed, %d backend_unavailable after"
                + " uninstall, %d failed; update request 1 took %d ms, longest pause between"
                + " signatures around it %d ms, first signature after it landed %d ms; update 2:"
                + " %d ms, pause %d ms, first signature %d ms%n",
            CLIENTS,
            total,
            seconds,
            callsAtUninstall - callsBefore,
            window,
            (callsAtUninstall - callsBefore) / window,
            load.ok.get(),
            load.unavailable.get(),
            load.failed.get(),
            updateMs[0],
            gapMs[0],
            landedToFirst[0],
            updateMs[1],
            gapMs[1],
            landedToFirst[1]);
      } finally {
        load.stop();
      }
      assertEquals("failed calls: " + load.failures, 0, load.failed.get());
      assertTrue(load.unavailable.get() > 0);

      // an independent verifier: ES256 over the JWS input, with the key the API published
      ECDSAVerifier verifier = new ECDSAVerifier(((ECKey) published).toECPublicKey());
      List<String> sample = new ArrayList<>(load.proofs);
      assertTrue("proofs sampled: " + sample.size(), sample.size() >= 10);
      for (String proof : sample) {
        SignedJWT jwt = SignedJWT.parse(proof);
        assertEquals(JWSAlgorithm.ES256, jwt.getHeader().getAlgorithm());
        assertEquals("dpop+jwt", jwt.getHeader().getType().toString());
        assertEquals(published.computeThumbprint(), jwt.getHeader().getJWK().computeThumbprint());
        assertTrue("proof verifies", jwt.verify(verifier));
        assertEquals("POST", jwt.getJWTClaimsSet().getStringClaim("htm"));
        assertEquals("https://rs.example/resource", jwt.getJWTClaimsSet().getStringClaim("htu"));
      }
      System.out.println("verified " + sample.size() + " sampled proofs with Nimbus");
    }
  }

  private static final String JAR = "application/java-archive";

  /** MCP clients calling {@code extra_dpop} in a loop, each in its own session. */
  private static final class Load {
    final Gateway gw;
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong ok = new AtomicLong();
    final AtomicLong unavailable = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final List<Long> okTimes = Collections.synchronizedList(new ArrayList<>());
    final ConcurrentLinkedQueue<String> proofs = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final List<Thread> threads = new ArrayList<>();

    /** When the uninstall request was sent: answers after it may be backend_unavailable. */
    volatile long uninstalledAt = Long.MAX_VALUE;

    long startedAt;
    long stoppedAt;

    Load(Gateway gw) {
      this.gw = gw;
    }

    void start() throws Exception {
      startedAt = System.nanoTime();
      for (int i = 0; i < CLIENTS; i++) {
        RawMcp mcp = new RawMcp(gw.url(), gw.token());
        String session = mcp.initialize();
        Thread t = new Thread(() -> loop(mcp, session), "mcp-client-" + i);
        t.start();
        threads.add(t);
      }
    }

    private void loop(RawMcp mcp, String session) {
      int id = 10;
      while (running.get()) {
        try {
          RawMcp.Reply r = mcp.post(String.format(CALL, ++id), session);
          JsonNode msg = r.status() == 200 ? r.json() : null;
          JsonNode result = msg == null ? null : msg.get("result");
          if (result != null && !result.path("isError").asBoolean(false)) {
            String proof = result.path("structuredContent").path("proof").asText("");
            if (proof.isEmpty()) {
              proof =
                  JSON.readTree(result.path("content").path(0).path("text").asText("{}"))
                      .path("proof")
                      .asText("");
            }
            if (proof.isEmpty()) {
              fail("no proof: " + r.body());
              continue;
            }
            okTimes.add(System.nanoTime());
            if (ok.incrementAndGet() % 23 == 0 && proofs.size() < 200) {
              proofs.add(proof);
            }
          } else if (System.nanoTime() > uninstalledAt
              && result != null
              && result.toString().contains("backend_unavailable")) {
            unavailable.incrementAndGet();
          } else {
            fail(r.status() + " " + r.body());
          }
        } catch (Exception e) {
          fail(e.toString());
        }
      }
    }

    private void fail(String what) {
      failed.incrementAndGet();
      if (failures.size() < 5) {
        failures.add(what.length() > 400 ? what.substring(0, 400) : what);
      }
    }

    /** The completion time of the first successful call that completed after {@code t}, or 0. */
    /** The longest time between two successful signatures completing inside [from, to]. */
    long longestGap(long from, long to) {
      List<Long> in = new ArrayList<>();
      synchronized (okTimes) {
        for (long t : okTimes) {
          if (t >= from && t <= to) {
            in.add(t);
          }
        }
      }
      Collections.sort(in);
      long gap = in.isEmpty() ? to - from : in.get(0) - from;
      for (int i = 1; i < in.size(); i++) {
        gap = Math.max(gap, in.get(i) - in.get(i - 1));
      }
      return gap;
    }

    long total() {
      return ok.get() + unavailable.get() + failed.get();
    }

    long firstOkAfter(long t) {
      long first = 0;
      synchronized (okTimes) {
        // completion times are appended roughly in order: look back until well before t
        for (int i = okTimes.size() - 1; i >= 0 && okTimes.get(i) > t - 5_000_000_000L; i--) {
          long v = okTimes.get(i);
          if (v > t && (first == 0 || v < first)) {
            first = v;
          }
        }
      }
      return first;
    }

    void stop() throws InterruptedException {
      if (running.getAndSet(false)) {
        for (Thread t : threads) {
          t.join(30_000);
        }
        stoppedAt = System.nanoTime();
      }
    }
  }

  private static boolean hasHardwareBackend(Distribution d, String id) {
    try {
      for (JsonNode b :
          d.get("/v1/diagnostics/security").json().path("key_custody").path("backends")) {
        if (id.equals(b.path("id").asText()) && b.path("hardware_backed").asBoolean()) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  /** The same bundle with another Bundle-Version: an updated build as far as OSGi can tell. */
  static Path withVersion(Path jar, Path out, String version) throws Exception {
    try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
      Manifest m = new Manifest(in.getManifest());
      m.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
      try (JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), m)) {
        JarEntry e;
        while ((e = in.getNextJarEntry()) != null) {
          o.putNextEntry(new JarEntry(e.getName()));
          in.transferTo(o);
          o.closeEntry();
        }
      }
    }
    return out;
  }

  private static byte[] bytes(Path p) throws Exception {
    try (InputStream in = Files.newInputStream(p)) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    }
  }
}
