package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.dpop.DpopVerifier;
import dev.briefcase.dpop.ReplayCache;
import dev.briefcase.dpop.ServerNonces;
import dev.briefcase.dpop.Thumbprints;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.VcException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** An in-memory provider: a test identity key, a settable clock, a map denylist. */
final class Fixture {
  static final String BASE = "http://127.0.0.1:9099";
  static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  static final class MutableClock extends Clock {
    volatile Instant now = Instant.parse("2026-12-07T12:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** An Ed25519 key: the provider's identity in tests, or a client's DPoP key. */
  static final class EdKey implements TokenKey {
    final Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(new SecureRandom());
    final byte[] pub = priv.generatePublicKey().getEncoded();
    final String x = B64.encodeToString(pub);

    @Override
    public PublicKey current() {
      try {
        return new PublicKey(pub, DidKey.ed25519(pub).verificationMethod());
      } catch (VcException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public byte[] sign(byte[] input) {
      Ed25519Signer s = new Ed25519Signer();
      s.init(true, priv);
      s.update(input, 0, input.length);
      return s.generateSignature();
    }

    String jkt() {
      return Thumbprints.okp("Ed25519", x);
    }

    /** A DPoP proof by this key. */
    String proof(String htm, String htu, Instant iat, String accessToken, String nonce) {
      ObjectNode header = Json.newObject().put("typ", "dpop+jwt").put("alg", "EdDSA");
      header.putObject("jwk").put("kty", "OKP").put("crv", "Ed25519").put("x", x);
      ObjectNode claims =
          Json.newObject()
              .put("jti", UUID.randomUUID().toString())
              .put("htm", htm)
              .put("htu", htu)
              .put("iat", iat.getEpochSecond());
      if (accessToken != null) {
        claims.put("ath", Thumbprints.sha256(accessToken));
      }
      if (nonce != null) {
        claims.put("nonce", nonce);
      }
      return jws(header, claims);
    }

    /** Any JWS signed by this key. */
    String jws(ObjectNode header, ObjectNode claims) {
      String input =
          B64.encodeToString(Json.bytes(header)) + "." + B64.encodeToString(Json.bytes(claims));
      return input + "." + B64.encodeToString(sign(input.getBytes(StandardCharsets.US_ASCII)));
    }
  }

  static final class MapDenylist implements Denylist {
    final Map<String, Instant> revoked = new ConcurrentHashMap<>();

    @Override
    public boolean isRevoked(String jti) {
      return revoked.containsKey(jti);
    }

    @Override
    public void revoke(String jti, Instant keepUntil) {
      revoked.put(jti, keepUntil);
    }
  }

  /** Request headers from name/value pairs. */
  static RequestHeaders headers(String... pairs) {
    Map<String, List<String>> map = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        map.computeIfAbsent(pairs[i].toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(pairs[i + 1]);
      }
    }
    return name -> map.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
  }

  final MutableClock clock = new MutableClock();
  final EdKey identity = new EdKey();
  final MapDenylist denylist = new MapDenylist();
  final ServerNonces nonces = new ServerNonces(clock, Duration.ofMinutes(5), new SecureRandom());

  /** The mint's and the VC issue's replay cache, and the resource's own. */
  final ReplayCache mintReplays = new ReplayCache(clock, Duration.ofMinutes(20), 20_000);

  final ReplayCache resourceReplays = new ReplayCache(clock, Duration.ofMinutes(20), 20_000);
  final DpopVerifier dpop = new DpopVerifier(clock, mintReplays, nonces);
  final DpopVerifier resourceDpop = new DpopVerifier(clock, resourceReplays, nonces);
  volatile byte[] adminSecret = "s3cret-admin".getBytes(StandardCharsets.UTF_8);

  ProviderApi api(Settings settings, PaymentChallenge payment) {
    return new ProviderApi(
        settings,
        clock,
        identity,
        dpop,
        resourceDpop,
        denylist,
        payment,
        null,
        () -> Optional.ofNullable(adminSecret));
  }

  /** An API with a VC issuer over {@code table}. */
  ProviderApi api(Settings settings, PaymentChallenge payment, VcIssuer issuer) {
    return new ProviderApi(
        settings,
        clock,
        identity,
        dpop,
        resourceDpop,
        denylist,
        payment,
        issuer,
        () -> Optional.ofNullable(adminSecret));
  }

  static Settings settings(
      long price, boolean tokenNonce, boolean resourceNonce, long maxBytes, String aud) {
    return settings(price, tokenNonce, resourceNonce, maxBytes, aud, 100_000);
  }

  static Settings settings(
      long price,
      boolean tokenNonce,
      boolean resourceNonce,
      long maxBytes,
      String aud,
      int maxTrackedCapabilities) {
    return new Settings(
        BASE,
        "quote",
        600,
        3,
        price,
        tokenNonce,
        resourceNonce,
        aud,
        maxBytes,
        "provider.admin_secret",
        maxTrackedCapabilities);
  }

  static JsonNode json(byte[] body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode claims(String jwt) {
    return Jws.decodeJson(jwt.split("\\.")[1]);
  }

  static JsonNode header(String jwt) {
    return Jws.decodeJson(jwt.split("\\.")[0]);
  }
}
