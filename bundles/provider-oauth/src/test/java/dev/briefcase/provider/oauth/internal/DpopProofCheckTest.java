package dev.briefcase.provider.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.UUID;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.Test;

public class DpopProofCheckTest {
  static final String TOKEN_URL = "http://127.0.0.1:9099/oauth/token";
  static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  final Clock clock = Clock.fixed(Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);
  final Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(new SecureRandom());

  String proof() {
    String x = B64.encodeToString(key.generatePublicKey().getEncoded());
    String header =
        "{\"typ\":\"dpop+jwt\",\"alg\":\"EdDSA\",\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\""
            + x
            + "\"}}";
    String claims =
        "{\"jti\":\""
            + UUID.randomUUID()
            + "\",\"htm\":\"POST\",\"htu\":\""
            + TOKEN_URL
            + "\",\"iat\":"
            + clock.instant().getEpochSecond()
            + "}";
    String input =
        B64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, key);
    byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
    signer.update(bytes, 0, bytes.length);
    return input + "." + B64.encodeToString(signer.generateSignature());
  }

  @Test
  public void aReplayCacheFullOfLiveProofsIsTemporarilyUnavailableNotABadProof() throws Exception {
    DpopProofCheck check = new DpopProofCheck(false, clock);
    // a flood of valid proofs within one iat window fills the cache: the next proof is not at
    // fault, so the client is told to come back later rather than that its proof is invalid
    for (int i = 0; i < 20_000; i++) {
      check.jkt(proof(), "POST", TOKEN_URL);
    }
    try {
      check.jkt(proof(), "POST", TOKEN_URL);
      fail("a proof was accepted into a full replay cache");
    } catch (OAuthError e) {
      assertEquals("temporarily_unavailable", e.code());
      assertEquals(503, e.status());
    }
  }
}
