package dev.briefcase.connector.provider.internal;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A provider's VC in the secret store: {@code vc.<id>.jwt} (the VC), {@code vc.<id>.binding}
 * ({@code cap}: bound to this bundle's {@code dpop:cap.<id>} key, {@code oauth}: to the provider's
 * OAuth DPoP key), {@code vc.<id>.issuer} (the issuer did:key pinned at the first fetch, kept when
 * the VC is deleted) and {@code vc.<id>.revoked} (the SHA-256 of a VC its status list revoked, so
 * it is never presented again). A store failure is {@code secret_store_unavailable}.
 */
final class VcVault {
  /** How a stored VC is bound: which key signs the proofs of its mints. */
  enum Binding {
    CAP,
    OAUTH
  }

  /** A stored VC that is not marked revoked. */
  record Stored(Sensitive<String> jwt, Binding binding) {
    @Override
    public String toString() {
      return "Stored[[REDACTED], " + binding + "]";
    }
  }

  private final SecretStore secrets;

  VcVault(SecretStore secrets) {
    this.secrets = secrets;
  }

  Optional<Stored> load(String id) throws CredentialException {
    Optional<String> jwt = text("vc." + id + ".jwt");
    if (jwt.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> revoked = text("vc." + id + ".revoked");
    if (revoked.isPresent() && revoked.get().equals(hash(jwt.get()))) {
      return Optional.empty();
    }
    Binding binding =
        "oauth".equals(text("vc." + id + ".binding").orElse("cap")) ? Binding.OAUTH : Binding.CAP;
    return Optional.of(new Stored(Sensitive.of(jwt.get()), binding));
  }

  void store(String id, String jwt, Binding binding) throws CredentialException {
    put("vc." + id + ".binding", binding == Binding.OAUTH ? "oauth" : "cap");
    put("vc." + id + ".jwt", jwt);
    remove("vc." + id + ".revoked");
  }

  /** Marks exactly this VC revoked (a later fetch replaces it). */
  void markRevoked(String id, Sensitive<String> jwt) throws CredentialException {
    put("vc." + id + ".revoked", hash(jwt.reveal()));
  }

  /** Deletes the VC, its binding and mark; the issuer pin stays. Whether a VC was stored. */
  boolean delete(String id) throws CredentialException {
    boolean had = remove("vc." + id + ".jwt");
    remove("vc." + id + ".binding");
    remove("vc." + id + ".revoked");
    return had;
  }

  Optional<String> pinnedIssuer(String id) throws CredentialException {
    return text("vc." + id + ".issuer");
  }

  void pinIssuer(String id, String did) throws CredentialException {
    put("vc." + id + ".issuer", did);
  }

  private Optional<String> text(String key) throws CredentialException {
    try {
      return secrets.get(key).map(v -> new String(v.reveal(), StandardCharsets.UTF_8));
    } catch (SecretStoreException e) {
      throw unavailable(e);
    }
  }

  private void put(String key, String value) throws CredentialException {
    try {
      secrets.put(key, Sensitive.of(value.getBytes(StandardCharsets.UTF_8)));
    } catch (SecretStoreException e) {
      throw unavailable(e);
    }
  }

  private boolean remove(String key) throws CredentialException {
    try {
      return secrets.delete(key);
    } catch (SecretStoreException e) {
      throw unavailable(e);
    }
  }

  private static CredentialException unavailable(SecretStoreException e) {
    return new CredentialException(
        SecretStoreException.SECRET_STORE_UNAVAILABLE.equals(e.code())
            ? e.code()
            : SecretStoreException.SECRET_STORE_UNAVAILABLE,
        "the secret store refused the VC");
  }

  static String hash(String jwt) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(jwt.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
