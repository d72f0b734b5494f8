package dev.briefcase.dpop;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * The server side of RFC 9449 (SPEC §8.2): checks one DPoP proof against one request.
 *
 * <p>Checks, in this order: present ({@code missing_dpop}); at most {@link #MAX_PROOF_CHARS}; a JWS
 * with {@code typ: dpop+jwt}, {@code alg} EdDSA (Ed25519 key) or ES256 (P-256 key, r‖s signature),
 * no {@code crit}, a public {@code jwk} only (a private member such as {@code d}, a symmetric or
 * other key type: refused), signature; claims {@code jti} (1..128 chars), {@code htm}, {@code htu}
 * (normalised, without query and fragment), {@code iat} within ±{@link #MAX_SKEW}, {@code ath} when
 * an access token is given; the key's RFC 7638 thumbprint equals the expected {@code cnf.jkt}; a
 * current server nonce when one is required ({@code use_dpop_nonce}); and last, the {@code jkt:jti}
 * pair is new ({@code replay_detected}; {@code replay_cache_full} when the cache holds only proofs
 * still acceptable) — so only a proof that passed everything else is remembered. Every other
 * failure is {@code invalid_dpop}.
 *
 * <p>Thread-safe (the replay cache and nonce source are). Nimbus parses the JOSE objects and
 * verifies ES256; Ed25519 is verified with BouncyCastle (Nimbus would need Tink).
 */
public final class DpopVerifier {
  /** Allowed distance between {@code iat} and the server clock. */
  public static final Duration MAX_SKEW = Duration.ofSeconds(120);

  /** Longest proof accepted (a P-256 proof is about 600 characters). */
  public static final int MAX_PROOF_CHARS = 8192;

  /** Longest {@code jti}. */
  public static final int MAX_JTI_CHARS = 128;

  private final Clock clock;
  private final ReplayCache replays;
  private final ServerNonces nonces;

  /**
   * @param nonces the nonce source for requests that require one; may be null when no caller ever
   *     sets {@link DpopRequest#requireNonce()}
   */
  public DpopVerifier(Clock clock, ReplayCache replays, ServerNonces nonces) {
    this.clock = clock;
    this.replays = replays;
    this.nonces = nonces;
  }

  /** The nonce source (for the {@code DPoP-Nonce} header), or null. */
  public ServerNonces nonces() {
    return nonces;
  }

  /**
   * Verifies {@code request.proof()}.
   *
   * @return the accepted proof
   * @throws DpopException with one of its codes; nothing is recorded then
   */
  public DpopProof verify(DpopRequest request) {
    String proof = request.proof();
    if (proof == null || proof.isBlank()) {
      throw new DpopException(DpopException.MISSING_DPOP, "no DPoP proof");
    }
    if (proof.length() > MAX_PROOF_CHARS) {
      throw invalid("proof too long");
    }
    SignedJWT jwt;
    JWSHeader header;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(proof.trim());
      header = jwt.getHeader();
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException | RuntimeException e) {
      throw invalid("not a JWS");
    }
    if (header.getType() == null || !"dpop+jwt".equals(header.getType().getType())) {
      throw invalid("typ is not dpop+jwt");
    }
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      throw invalid("crit not supported");
    }
    JWK jwk = header.getJWK();
    if (jwk == null) {
      throw invalid("no jwk");
    }
    if (jwk.isPrivate()) {
      throw invalid("jwk has private members");
    }
    JWSAlgorithm alg = header.getAlgorithm();
    String jkt;
    if (JWSAlgorithm.EdDSA.equals(alg) || JWSAlgorithm.Ed25519.equals(alg)) {
      if (!(jwk instanceof OctetKeyPair okp) || !Curve.Ed25519.equals(okp.getCurve())) {
        throw invalid("EdDSA needs an Ed25519 OKP key");
      }
      verifyEd25519(jwt, okp);
      jkt = Thumbprints.okp("Ed25519", okp.getX().toString());
    } else if (JWSAlgorithm.ES256.equals(alg)) {
      if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
        throw invalid("ES256 needs a P-256 EC key");
      }
      verifyEs256(jwt, ec);
      jkt = Thumbprints.ec("P-256", ec.getX().toString(), ec.getY().toString());
    } else {
      throw invalid("alg not allowed");
    }
    String jti = stringClaim(claims, "jti");
    if (jti == null || jti.isEmpty() || jti.length() > MAX_JTI_CHARS) {
      throw invalid("jti missing or too long");
    }
    String htm = stringClaim(claims, "htm");
    if (htm == null || !htm.equals(request.method())) {
      throw invalid("htm mismatch");
    }
    String htu = stringClaim(claims, "htu");
    String expectedHtu = normaliseHtu(request.uri());
    if (htu == null || expectedHtu == null || !expectedHtu.equals(normaliseHtu(htu))) {
      throw invalid("htu mismatch");
    }
    Instant iat = issuedAt(claims);
    Instant now = clock.instant();
    if (iat.isBefore(now.minus(MAX_SKEW)) || iat.isAfter(now.plus(MAX_SKEW))) {
      throw invalid("iat outside the window");
    }
    if (request.accessToken() != null) {
      String ath = stringClaim(claims, "ath");
      String expected = Thumbprints.sha256(request.accessToken());
      if (ath == null
          || !MessageDigest.isEqual(
              ath.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
        throw invalid("ath mismatch");
      }
    }
    if (request.expectedJkt() != null && !request.expectedJkt().equals(jkt)) {
      throw invalid("key does not match cnf.jkt");
    }
    if (request.requireNonce()) {
      String nonce = stringClaim(claims, "nonce");
      if (nonces == null || !nonces.accepts(nonce)) {
        throw new DpopException(DpopException.USE_DPOP_NONCE, "nonce missing or stale");
      }
    }
    // a proof is acceptable while its iat is within MAX_SKEW of the clock: the cache must not
    // forget it before then
    if (!replays.firstUse(jkt, jti, iat.plus(MAX_SKEW))) {
      throw new DpopException(DpopException.REPLAY_DETECTED, "proof replayed");
    }
    return new DpopProof(jkt, jti, htm, expectedHtu, iat, alg.getName());
  }

  /**
   * The {@code htu} comparison form: an absolute http(s) URI with scheme and host in lower case,
   * the default port dropped, dot segments removed, an empty path as {@code /}, no query, no
   * fragment, no user info. Null when the text is not such a URI.
   */
  public static String normaliseHtu(String text) {
    if (text == null || text.length() > 4096) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(text).normalize();
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      return null;
    }
    if (uri.getRawUserInfo() != null || uri.getHost() == null || uri.isOpaque()) {
      return null;
    }
    int port = uri.getPort();
    if (("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443)) {
      port = -1;
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return scheme
        + "://"
        + uri.getHost().toLowerCase(Locale.ROOT)
        + (port == -1 ? "" : ":" + port)
        + path;
  }

  private static void verifyEd25519(SignedJWT jwt, OctetKeyPair okp) {
    byte[] x = okp.getDecodedX();
    byte[] sig = jwt.getSignature().decode();
    if (x == null || x.length != Ed25519PublicKeyParameters.KEY_SIZE || sig.length != 64) {
      throw invalid("bad Ed25519 key or signature size");
    }
    boolean ok;
    try {
      Ed25519Signer verifier = new Ed25519Signer();
      verifier.init(false, new Ed25519PublicKeyParameters(x, 0));
      byte[] input = jwt.getSigningInput();
      verifier.update(input, 0, input.length);
      ok = verifier.verifySignature(sig);
    } catch (RuntimeException e) {
      ok = false;
    }
    if (!ok) {
      throw invalid("bad signature");
    }
  }

  private static void verifyEs256(SignedJWT jwt, ECKey ec) {
    if (jwt.getSignature().decode().length != 64) {
      throw invalid("ES256 signature is not r||s");
    }
    boolean ok;
    try {
      ok = jwt.verify(new ECDSAVerifier(ec));
    } catch (JOSEException | RuntimeException e) {
      ok = false;
    }
    if (!ok) {
      throw invalid("bad signature");
    }
  }

  private static String stringClaim(JWTClaimsSet claims, String name) {
    try {
      return claims.getStringClaim(name);
    } catch (ParseException e) {
      throw invalid(name + " is not a string");
    }
  }

  private static Instant issuedAt(JWTClaimsSet claims) {
    Object raw = claims.getClaim("iat");
    if (raw instanceof Date date) {
      return date.toInstant();
    }
    if (raw instanceof Number number) {
      return Instant.ofEpochSecond(number.longValue());
    }
    throw invalid("iat missing or not a number");
  }

  private static DpopException invalid(String reason) {
    return new DpopException(DpopException.INVALID_DPOP, reason);
  }
}
