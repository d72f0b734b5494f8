package dev.briefcase.receipts.internal;

import dev.briefcase.keys.CustodyReport;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** A key directory with one software Ed25519 identity key; {@code down} makes it unavailable. */
final class FakeKeys implements KeyDirectory {
  final KeyPair pair;
  volatile boolean down;
  volatile int signatures;
  volatile int attempts;

  FakeKeys() {
    try {
      pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  String publicJwk() {
    byte[] spki = pair.getPublic().getEncoded();
    byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
    return "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\""
        + Base64.getUrlEncoder().withoutPadding().encodeToString(x)
        + "\"}";
  }

  KeyInfo info() {
    return new KeyInfo(
        IDENTITY,
        new KeyHandle("software", "k1", KeyAlgorithm.ED25519),
        false,
        publicJwk(),
        Checkpoint.verificationKey(publicJwk()).kid(),
        Instant.EPOCH);
  }

  @Override
  public List<KeyInfo> list() {
    return List.of(info());
  }

  @Override
  public Optional<KeyInfo> get(String role) {
    return Optional.of(info());
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

  @Override
  public KeyInfo ensure(String role) throws KeyException {
    attempts++;
    if (down) {
      throw new KeyException("backend_unavailable", "signer software is not available");
    }
    return info();
  }

  @Override
  public byte[] sign(String role, byte[] message) throws KeyException {
    if (down) {
      throw new KeyException("backend_unavailable", "signer software is not available");
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(pair.getPrivate());
      s.update(message);
      signatures++;
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String dpopProof(
      String server,
      KeyAlgorithm algorithm,
      String htm,
      String htu,
      String accessToken,
      String nonce) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CustodyReport check() {
    throw new UnsupportedOperationException();
  }
}
