package dev.briefcase.connector.provider.internal;

import dev.briefcase.credentials.AccessCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.Provider;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.credentials.RevokeResult;
import dev.briefcase.keys.CustodyReport;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Doubles of the registry/OAuth service and the key directory, readable by the test peer. */
final class Fakes {
  private Fakes() {}

  /**
   * A readable stand-in for a DPoP proof: {@code <b64url header>.<b64url claims>.sig}, the header's
   * {@code jwk} standing for the key named {@code key} in the claims ({@code key, htm, htu, ath,
   * nonce, jti}). The peer decodes it; nothing verifies a signature here.
   */
  static String proof(String key, String htm, String htu, String token, String nonce) {
    String claims =
        "{\"key\":\""
            + key
            + "\",\"htm\":\""
            + htm
            + "\",\"htu\":\""
            + htu
            + "\",\"ath\":"
            + (token == null ? "null" : "\"" + ath(token) + "\"")
            + ",\"nonce\":"
            + (nonce == null ? "null" : "\"" + nonce + "\"")
            + ",\"jti\":\""
            + UUID.randomUUID()
            + "\"}";
    return b64("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":" + jwk(key) + "}")
        + "."
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(claims.getBytes(StandardCharsets.UTF_8))
        + ".sig";
  }

  /** The claims of a {@link #proof}, as JSON text. */
  static String claims(String proof) {
    String[] parts = proof.split("\\.");
    return new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
  }

  /** The stand-in public JWK of a named key, in RFC 7638 member order. */
  static String jwk(String key) {
    return "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""
        + b64(key)
        + "\",\"y\":\""
        + b64("y-" + key)
        + "\"}";
  }

  /** The RFC 7638 thumbprint of the stand-in key {@code key}. */
  static String jkt(String key) {
    return ath(jwk(key));
  }

  static String b64(String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  static String ath(String token) {
    try {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Key directory: proofs name the DPoP server as their key. */
  static final class Keys implements KeyDirectory {
    final AtomicInteger proofs = new AtomicInteger();

    @Override
    public String dpopProof(
        String server,
        KeyAlgorithm algorithm,
        String htm,
        String htu,
        String accessToken,
        String nonce) {
      proofs.incrementAndGet();
      return proof("dpop:" + server, htm, htu, accessToken, nonce);
    }

    @Override
    public List<KeyInfo> list() {
      return List.of();
    }

    @Override
    public Optional<KeyInfo> get(String role) {
      return Optional.empty();
    }

    @Override
    public KeyInfo create(String role, KeyAlgorithm algorithm, String backend, String actor) {
      throw new UnsupportedOperationException();
    }

    @Override
    public KeyInfo rotate(String role, KeyAlgorithm algorithm, String backend, String actor) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void delete(String role, String actor) {
      throw new UnsupportedOperationException();
    }

    /** The public JWK of role {@code identity} (Ed25519), or null when there is none. */
    volatile String identityJwk;

    @Override
    public KeyInfo ensure(String role) {
      if (!"identity".equals(role) || identityJwk == null) {
        throw new UnsupportedOperationException();
      }
      return new KeyInfo(
          role,
          new dev.briefcase.signer.KeyHandle("software", "id1", KeyAlgorithm.ED25519),
          false,
          identityJwk,
          "tp",
          Instant.EPOCH);
    }

    @Override
    public byte[] sign(String role, byte[] message) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CustodyReport check() {
      throw new UnsupportedOperationException();
    }
  }

  /**
   * The registry with OAuth: providers by id, a refresh token per provider on demand, an access
   * token {@link #ACCESS_TOKEN} bound to the key {@code dpop:oauth.<id>}.
   */
  static final class Registry implements CredentialService {
    static final String ACCESS_TOKEN = "at-canary-7f3e9a";

    final Map<String, String> bases = new ConcurrentHashMap<>();
    final Map<String, Boolean> refresh = new ConcurrentHashMap<>();
    final AtomicInteger statusCalls = new AtomicInteger();
    volatile CredentialException accessFailure;
    volatile CredentialException proofFailure;
    volatile boolean bound = true;

    @Override
    public ProviderStatus status(String id) {
      statusCalls.incrementAndGet();
      String base = bases.get(id);
      if (base == null) {
        throw new CredentialException(CredentialException.UNKNOWN_PROVIDER, "no such provider");
      }
      return new ProviderStatus(
          new Provider(id, base, base, null, null), refresh.getOrDefault(id, false), null);
    }

    @Override
    public AccessCredential accessCredential(String id, String method, URI target) {
      if (accessFailure != null) {
        throw accessFailure;
      }
      if (!bound) {
        return new AccessCredential(Sensitive.of("Bearer " + ACCESS_TOKEN), null, null);
      }
      return new AccessCredential(
          Sensitive.of("DPoP " + ACCESS_TOKEN),
          Sensitive.of(proof("dpop:oauth." + id, method, target.toString(), ACCESS_TOKEN, null)),
          Instant.now().plusSeconds(600));
    }

    @Override
    public Sensitive<String> dpopProof(
        String id, String method, URI target, Sensitive<String> boundToken, String nonce) {
      if (proofFailure != null) {
        throw proofFailure;
      }
      return Sensitive.of(
          proof("dpop:oauth." + id, method, target.toString(), boundToken.reveal(), nonce));
    }

    @Override
    public List<ProviderStatus> list() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ProviderStatus add(
        String id, String baseUrl, String resourceUrl, String clientId, String scope) {
      throw new UnsupportedOperationException();
    }

    @Override
    public RevokeResult remove(String id) {
      throw new UnsupportedOperationException();
    }

    @Override
    public LoginStart start(String id, URI redirectUri) {
      throw new UnsupportedOperationException();
    }

    @Override
    public LoginResult exchange(String id, String code, String state, String iss) {
      throw new UnsupportedOperationException();
    }

    @Override
    public RevokeResult revoke(String id) {
      throw new UnsupportedOperationException();
    }
  }

  /** An in-memory secret store that can be made to fail. */
  static final class Secrets implements dev.briefcase.secrets.SecretStore {
    final Map<String, byte[]> values = new ConcurrentHashMap<>();
    volatile boolean broken;

    @Override
    public Optional<Sensitive<byte[]>> get(String id) {
      check();
      byte[] v = values.get(id);
      return v == null ? Optional.empty() : Optional.of(Sensitive.of(v.clone()));
    }

    @Override
    public void put(String id, Sensitive<byte[]> value) {
      check();
      values.put(id, value.reveal().clone());
    }

    @Override
    public boolean delete(String id) {
      check();
      return values.remove(id) != null;
    }

    @Override
    public List<String> ids() {
      check();
      return values.keySet().stream().sorted().toList();
    }

    String text(String id) {
      byte[] v = values.get(id);
      return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    private void check() {
      if (broken) {
        throw new dev.briefcase.secrets.SecretStoreException(
            dev.briefcase.secrets.SecretStoreException.SECRET_STORE_UNAVAILABLE, "broken");
      }
    }
  }
}
