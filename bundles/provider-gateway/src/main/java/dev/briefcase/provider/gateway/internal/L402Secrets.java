package dev.briefcase.provider.gateway.internal;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The L402 secrets, both from the secret store and never from the configuration: the macaroon root
 * secret (created on first use: 32 random bytes stored through the store; a store that refuses is
 * 503 {@code l402_root_secret_unavailable}, no challenge is made without it) and the LND invoice
 * macaroon (stored as hex or base64 text, or raw bytes; absent or unreadable: 502 {@code
 * lightning_node_unavailable}).
 */
final class L402Secrets {
  private L402Secrets() {}

  /** The root secret of {@code id}, created on first use; each call returns a fresh copy. */
  static Supplier<byte[]> rootSecret(SecretStore store, String id, SecureRandom random) {
    Object lock = new Object();
    return () -> {
      // one creator at a time: two racing creations would orphan the macaroons of the loser
      synchronized (lock) {
        try {
          Optional<Sensitive<byte[]>> existing = store.get(id);
          if (existing.isPresent()) {
            byte[] v = existing.get().reveal();
            if (v.length < 32) {
              throw new ProviderError(
                  503, L402Gate.ROOT_SECRET_UNAVAILABLE, "the L402 root secret is under 32 bytes");
            }
            return v.clone();
          }
          byte[] fresh = new byte[32];
          random.nextBytes(fresh);
          store.put(id, Sensitive.of(fresh.clone()));
          return fresh;
        } catch (SecretStoreException e) {
          throw new ProviderError(
              503,
              L402Gate.ROOT_SECRET_UNAVAILABLE,
              "the secret store cannot hold the L402 root secret (" + e.code() + ")");
        }
      }
    };
  }

  /** The LND macaroon of {@code id} (binary), read per call. */
  static Supplier<byte[]> lndMacaroon(SecretStore store, String id) {
    return () -> {
      Optional<Sensitive<byte[]>> v;
      try {
        v = store.get(id);
      } catch (SecretStoreException e) {
        throw LndInvoices.unavailable("secret store unavailable for the LND macaroon");
      }
      if (v.isEmpty()) {
        throw LndInvoices.unavailable("no LND macaroon in the secret store");
      }
      return decode(v.get().reveal());
    };
  }

  /** Hex or base64 text (as {@code briefcase secrets set} stores it), else the raw bytes. */
  static byte[] decode(byte[] stored) {
    String text = new String(stored, StandardCharsets.US_ASCII).strip();
    if (!text.isEmpty() && text.length() % 2 == 0 && text.matches("[0-9a-fA-F]+")) {
      return HexFormat.of().parseHex(text);
    }
    if (text.matches("[A-Za-z0-9+/_-]+={0,2}")) {
      try {
        return Base64.getDecoder().decode(text.replace('-', '+').replace('_', '/'));
      } catch (IllegalArgumentException e) {
        // not base64 after all: the raw bytes
      }
    }
    return stored.clone();
  }
}
