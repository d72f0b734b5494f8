package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.VcException;
import java.io.IOException;
import java.util.Base64;

/**
 * The key directory's {@code identity} role as the token key: created on first use, read per call
 * (a rotation is seen at once), Ed25519 only. Any key directory failure is 503 {@code
 * signing_key_unavailable}, its message not passed on.
 */
final class IdentityTokenKey implements TokenKey {
  private final KeyDirectory keys;

  IdentityTokenKey(KeyDirectory keys) {
    this.keys = keys;
  }

  @Override
  public PublicKey current() {
    KeyInfo info;
    try {
      info = keys.ensure(KeyDirectory.IDENTITY);
    } catch (RuntimeException e) {
      throw unavailable("identity key unavailable");
    }
    JsonNode jwk;
    try {
      jwk = Json.MAPPER.readTree(info.publicJwk());
    } catch (IOException e) {
      throw unavailable("identity key JWK unreadable");
    }
    if (!"OKP".equals(Jws.text(jwk, "kty")) || !"Ed25519".equals(Jws.text(jwk, "crv"))) {
      throw unavailable("identity key is not Ed25519");
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(Jws.text(jwk, "x"));
    } catch (RuntimeException e) {
      throw unavailable("identity key x unreadable");
    }
    if (raw.length != 32) {
      throw unavailable("identity key x is not 32 bytes");
    }
    try {
      return new PublicKey(raw, DidKey.ed25519(raw).verificationMethod());
    } catch (VcException e) {
      throw unavailable("identity key is no Ed25519 point");
    }
  }

  @Override
  public byte[] sign(byte[] input) {
    try {
      return keys.sign(KeyDirectory.IDENTITY, input);
    } catch (RuntimeException e) {
      throw unavailable("identity key cannot sign");
    }
  }

  private static ProviderError unavailable(String reason) {
    return new ProviderError(503, "signing_key_unavailable", reason);
  }
}
