package dev.briefcase.dpop;

import static dev.briefcase.dpop.TestProofs.B64;
import static dev.briefcase.dpop.TestProofs.claims;
import static dev.briefcase.dpop.TestProofs.ed;
import static dev.briefcase.dpop.TestProofs.es;
import static dev.briefcase.dpop.TestProofs.header;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import dev.briefcase.dpop.TestProofs.EcKey;
import dev.briefcase.dpop.TestProofs.EdKey;
import dev.briefcase.dpop.TestProofs.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.Test;

public class DpopVerifierTest {
  static final String URL = "http://127.0.0.1:9099/api/quote";
  static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");

  final MutableClock clock = new MutableClock(T0);
  final ServerNonces nonces = new ServerNonces(clock, Duration.ofMinutes(5), new SecureRandom());
  final DpopVerifier verifier =
      new DpopVerifier(clock, new ReplayCache(clock, Duration.ofMinutes(20), 20_000), nonces);
  final EdKey ed = new EdKey();
  final EcKey ec = new EcKey();

  static DpopRequest get(String proof) {
    return new DpopRequest(proof, "GET", URL, null, null, false);
  }

  void refused(String code, DpopRequest request) {
    try {
      verifier.verify(request);
      fail("accepted, expected " + code);
    } catch (DpopException e) {
      assertEquals(e.getMessage(), code, e.code());
    }
  }

  @Test
  public void eddsaProofIsAcceptedWithItsThumbprint() {
    DpopProof p = verifier.verify(get(ed(ed, claims("GET", URL, T0))));
    assertEquals(ed.jkt(), p.jkt());
    assertEquals("EdDSA", p.alg());
    assertEquals(URL, p.htu());
  }

  @Test
  public void es256ProofIsAcceptedWithItsThumbprint() {
    DpopProof p = verifier.verify(get(es(ec, claims("GET", URL, T0))));
    assertEquals(ec.jkt(), p.jkt());
    assertEquals("ES256", p.alg());
  }

  @Test
  public void missingProofIsMissingDpop() {
    refused("missing_dpop", get(null));
    refused("missing_dpop", get(" "));
  }

  @Test
  public void algNoneIsRefused() {
    String h = header("none", "dpop+jwt", ed.jwk());
    String unsigned = TestProofs.signingInput(h, claims("GET", URL, T0)) + ".";
    refused("invalid_dpop", get(unsigned));
  }

  @Test
  public void hs256ProofKeyedWithThePublicKeyIsRefused() throws Exception {
    String h = header("HS256", "dpop+jwt", ed.jwk());
    String input = TestProofs.signingInput(h, claims("GET", URL, T0));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(ed.x.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
    String jws =
        input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    refused("invalid_dpop", get(jws));
  }

  @Test
  public void symmetricJwkIsRefused() {
    String jwk = "{\"kty\":\"oct\",\"k\":\"" + B64.encodeToString(new byte[32]) + "\"}";
    refused("invalid_dpop", get(ed(ed, header("EdDSA", "dpop+jwt", jwk), claims("GET", URL, T0))));
  }

  @Test
  public void privateJwkIsRefused() {
    String d = B64.encodeToString(ed.priv.getEncoded());
    String jwk = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + ed.x + "\",\"d\":\"" + d + "\"}";
    refused("invalid_dpop", get(ed(ed, header("EdDSA", "dpop+jwt", jwk), claims("GET", URL, T0))));
  }

  @Test
  public void wrongOrMissingTypIsRefused() {
    refused("invalid_dpop", get(ed(ed, header("EdDSA", "JWT", ed.jwk()), claims("GET", URL, T0))));
    refused("invalid_dpop", get(ed(ed, header("EdDSA", null, ed.jwk()), claims("GET", URL, T0))));
  }

  @Test
  public void missingJwkIsRefused() {
    refused("invalid_dpop", get(ed(ed, header("EdDSA", "dpop+jwt", null), claims("GET", URL, T0))));
  }

  @Test
  public void proofSignedByAnotherKeyThanItsJwkIsRefused() {
    EdKey other = new EdKey();
    refused(
        "invalid_dpop",
        get(ed(other, header("EdDSA", "dpop+jwt", ed.jwk()), claims("GET", URL, T0))));
  }

  @Test
  public void algKeyTypeMismatchIsRefused() {
    refused(
        "invalid_dpop", get(ed(ed, header("ES256", "dpop+jwt", ed.jwk()), claims("GET", URL, T0))));
    refused(
        "invalid_dpop", get(ed(ed, header("EdDSA", "dpop+jwt", ec.jwk()), claims("GET", URL, T0))));
  }

  @Test
  public void rsaOrOtherCurveKeysAreRefused() {
    String rsa =
        "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"" + B64.encodeToString(new byte[256]) + "\"}";
    refused("invalid_dpop", get(ed(ed, header("RS256", "dpop+jwt", rsa), claims("GET", URL, T0))));
    refused("invalid_dpop", get(ed(ed, header("EdDSA", "dpop+jwt", rsa), claims("GET", URL, T0))));
    String x25519 = "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + ed.x + "\"}";
    refused(
        "invalid_dpop", get(ed(ed, header("EdDSA", "dpop+jwt", x25519), claims("GET", URL, T0))));
  }

  @Test
  public void critHeaderIsRefused() {
    String h =
        "{\"typ\":\"dpop+jwt\",\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"exp\":1,\"jwk\":"
            + ed.jwk()
            + "}";
    refused("invalid_dpop", get(ed(ed, h, claims("GET", URL, T0))));
  }

  @Test
  public void derEncodedEs256SignatureIsRefused() {
    String input =
        TestProofs.signingInput(header("ES256", "dpop+jwt", ec.jwk()), claims("GET", URL, T0));
    String jws =
        input + "." + B64.encodeToString(ec.signDer(input.getBytes(StandardCharsets.US_ASCII)));
    refused("invalid_dpop", get(jws));
  }

  @Test
  public void smallOrderEd25519KeyWithItsUniversalSignatureIsRefused() {
    // the identity point as the key and (R = identity, S = 0) verify any message for a verifier
    // that does not refuse small-order keys: anyone could then prove that key's jkt
    byte[] identity = new byte[32];
    identity[0] = 1;
    String jwk =
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + B64.encodeToString(identity) + "\"}";
    String input =
        TestProofs.signingInput(header("EdDSA", "dpop+jwt", jwk), claims("GET", URL, T0));
    byte[] sig = new byte[64];
    sig[0] = 1;
    refused("invalid_dpop", get(input + "." + B64.encodeToString(sig)));
  }

  @Test
  public void allZeroEs256SignatureIsRefused() {
    // CVE-2022-21449: r = s = 0 verified for any key and message on some JDKs
    String input =
        TestProofs.signingInput(header("ES256", "dpop+jwt", ec.jwk()), claims("GET", URL, T0));
    refused("invalid_dpop", get(input + "." + B64.encodeToString(new byte[64])));
  }

  @Test
  public void tamperedClaimsAreRefused() {
    String good = ed(ed, claims("GET", URL, T0));
    String[] parts = good.split("\\.");
    Map<String, Object> c = claims("GET", URL, T0);
    c.put("htm", "POST");
    String forged =
        parts[0]
            + "."
            + B64.encodeToString(TestProofs.json(c).getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    refused("invalid_dpop", new DpopRequest(forged, "POST", URL, null, null, false));
  }

  @Test
  public void wrongHtmIsRefused() {
    refused("invalid_dpop", get(ed(ed, claims("POST", URL, T0))));
    refused("invalid_dpop", get(ed(ed, claims("get", URL, T0))));
  }

  @Test
  public void wrongHtuIsRefused() {
    refused("invalid_dpop", get(ed(ed, claims("GET", "http://127.0.0.1:9099/token", T0))));
    refused("invalid_dpop", get(ed(ed, claims("GET", "http://127.0.0.1:9098/api/quote", T0))));
    refused("invalid_dpop", get(ed(ed, claims("GET", "https://127.0.0.1:9099/api/quote", T0))));
    refused("invalid_dpop", get(ed(ed, claims("GET", "/api/quote", T0))));
  }

  @Test
  public void htuIgnoresQueryFragmentCaseAndDefaultPort() {
    DpopRequest withQuery =
        new DpopRequest(
            ed(ed, claims("GET", "HTTP://127.0.0.1:9099/api/quote#x", T0)),
            "GET",
            URL + "?symbol=ACME",
            null,
            null,
            false);
    assertEquals(URL, verifier.verify(withQuery).htu());
    DpopRequest defaultPort =
        new DpopRequest(
            ed(ed, claims("POST", "https://Provider.example:443/token", T0)),
            "POST",
            "https://provider.example/token",
            null,
            null,
            false);
    assertEquals("https://provider.example/token", verifier.verify(defaultPort).htu());
  }

  @Test
  public void staleOrFutureIatIsRefused() {
    refused("invalid_dpop", get(ed(ed, claims("GET", URL, T0.minusSeconds(121)))));
    refused("invalid_dpop", get(ed(ed, claims("GET", URL, T0.plusSeconds(121)))));
    verifier.verify(get(ed(ed, claims("GET", URL, T0.minusSeconds(120)))));
    verifier.verify(get(ed(ed, claims("GET", URL, T0.plusSeconds(120)))));
  }

  @Test
  public void iatAsStringIsRefused() {
    Map<String, Object> c = claims("GET", URL, T0);
    c.put("iat", String.valueOf(T0.getEpochSecond()));
    refused("invalid_dpop", get(ed(ed, c)));
    c.remove("iat");
    refused("invalid_dpop", get(ed(ed, c)));
  }

  @Test
  public void jtiMissingOrLongerThan128IsRefused() {
    Map<String, Object> c = claims("GET", URL, T0);
    c.put("jti", "j".repeat(129));
    refused("invalid_dpop", get(ed(ed, c)));
    c.remove("jti");
    refused("invalid_dpop", get(ed(ed, c)));
    c.put("jti", "j".repeat(128));
    verifier.verify(get(ed(ed, c)));
  }

  @Test
  public void athMustMatchTheAccessToken() {
    String token = "eyJhbGciOiJFZERTQSJ9.e30.c2ln";
    Map<String, Object> c = claims("GET", URL, T0);
    refused("invalid_dpop", new DpopRequest(ed(ed, c), "GET", URL, token, null, false));
    c.put("ath", Thumbprints.sha256(token + "x"));
    refused("invalid_dpop", new DpopRequest(ed(ed, c), "GET", URL, token, null, false));
    c.put("ath", Thumbprints.sha256(token));
    verifier.verify(new DpopRequest(ed(ed, c), "GET", URL, token, null, false));
  }

  @Test
  public void keyMustMatchCnfJkt() {
    EdKey other = new EdKey();
    refused(
        "invalid_dpop",
        new DpopRequest(ed(other, claims("GET", URL, T0)), "GET", URL, null, ed.jkt(), false));
    verifier.verify(
        new DpopRequest(ed(ed, claims("GET", URL, T0)), "GET", URL, null, ed.jkt(), false));
  }

  @Test
  public void replayedProofIsReplayDetected() {
    String proof = ed(ed, claims("GET", URL, T0));
    verifier.verify(get(proof));
    refused("replay_detected", get(proof));
    clock.now = T0.plusSeconds(100);
    refused("replay_detected", get(proof));
  }

  @Test
  public void floodingTheReplayCacheCannotEvictAProofStillInItsIatWindow() {
    String victim = ed(ed, claims("GET", URL, T0));
    verifier.verify(get(victim));
    // the attacker fills the cache with fresh proofs of its own key, then replays the victim's
    EdKey attacker = new EdKey();
    int full = 0;
    for (int i = 0; i < 20_000; i++) {
      try {
        verifier.verify(get(ed(attacker, claims("GET", URL, T0))));
      } catch (DpopException e) {
        assertEquals("replay_cache_full", e.code());
        full++;
      }
    }
    assertEquals(1, full);
    clock.now = T0.plusSeconds(60);
    refused("replay_detected", get(victim));
    // once the oldest proofs' iat window has closed they make room again
    clock.now = T0.plus(DpopVerifier.MAX_SKEW).plusSeconds(1);
    verifier.verify(get(ed(ed, claims("GET", URL, clock.now))));
  }

  @Test
  public void refusedProofIsNotRemembered() {
    String proof = ed(ed, claims("GET", URL, T0));
    refused("invalid_dpop", new DpopRequest(proof, "GET", URL, null, new EdKey().jkt(), false));
    verifier.verify(get(proof));
  }

  @Test
  public void racingThreadsReplayingOneProofGetExactlyOneAcceptance() throws Exception {
    for (int round = 0; round < 20; round++) {
      String proof = es(ec, claims("GET", URL, T0));
      int threads = 16;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  try {
                    verifier.verify(get(proof));
                    return "ok";
                  } catch (DpopException e) {
                    return e.code();
                  }
                }));
      }
      start.countDown();
      int ok = 0;
      int replays = 0;
      for (Future<String> f : results) {
        String r = f.get(30, TimeUnit.SECONDS);
        if (r.equals("ok")) {
          ok++;
        } else if (r.equals("replay_detected")) {
          replays++;
        }
      }
      pool.shutdown();
      assertEquals(1, ok);
      assertEquals(threads - 1, replays);
    }
  }

  @Test
  public void requiredNonceMissingOrStaleIsUseDpopNonce() {
    DpopRequest noNonce =
        new DpopRequest(ed(ed, claims("GET", URL, T0)), "GET", URL, null, null, true);
    refused("use_dpop_nonce", noNonce);
    Map<String, Object> c = claims("GET", URL, T0);
    c.put("nonce", "not-the-nonce");
    refused("use_dpop_nonce", new DpopRequest(ed(ed, c), "GET", URL, null, null, true));
    c.put("nonce", nonces.current());
    verifier.verify(new DpopRequest(ed(ed, c), "GET", URL, null, null, true));
  }

  @Test
  public void previousNonceStillWorksOnceRotatedTwiceItIsStale() {
    String first = nonces.current();
    clock.now = T0.plus(Duration.ofMinutes(5));
    String second = nonces.current();
    Map<String, Object> c = claims("GET", URL, clock.now);
    c.put("nonce", first);
    verifier.verify(new DpopRequest(ed(ed, c), "GET", URL, null, null, true));
    clock.now = T0.plus(Duration.ofMinutes(10));
    nonces.current();
    Map<String, Object> stale = claims("GET", URL, clock.now);
    stale.put("nonce", first);
    refused("use_dpop_nonce", new DpopRequest(ed(ed, stale), "GET", URL, null, null, true));
    Map<String, Object> previous = claims("GET", URL, clock.now);
    previous.put("nonce", second);
    verifier.verify(new DpopRequest(ed(ed, previous), "GET", URL, null, null, true));
  }

  @Test
  public void oversizedOrGarbageProofIsInvalid() {
    refused("invalid_dpop", get("a".repeat(DpopVerifier.MAX_PROOF_CHARS + 1)));
    refused("invalid_dpop", get("not.a.jws"));
    refused("invalid_dpop", get("eyJ9.eyJ9"));
  }

  @Test
  public void normaliseHtuRefusesNonHttpAndUserInfo() {
    assertNull(DpopVerifier.normaliseHtu("ftp://x/y"));
    assertNull(DpopVerifier.normaliseHtu("http://user@x/y"));
    assertNull(DpopVerifier.normaliseHtu("relative/path"));
    assertEquals("http://x/", DpopVerifier.normaliseHtu("http://X"));
    assertEquals("http://x/b", DpopVerifier.normaliseHtu("http://x/a/../b?q=1"));
  }
}
