package dev.briefcase.keys.internal;

import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.SignerException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/** An in-memory signer with JDK keys, standing in for a backend in unit tests. */
final class FakeSigner implements Signer {
  final String id;
  final boolean hardware;
  final boolean ed25519;
  final Map<String, KeyPair> keys = new ConcurrentHashMap<>();
  final Map<String, KeyAlgorithm> algs = new ConcurrentHashMap<>();
  volatile boolean stopped;
  // when set, a sign counts down entered and then waits for release (a slow hardware token)
  volatile CountDownLatch entered;
  volatile CountDownLatch release;

  FakeSigner(String id, boolean hardware, boolean ed25519) {
    this.id = id;
    this.hardware = hardware;
    this.ed25519 = ed25519;
  }

  Map<String, Object> props(long serviceId) {
    return Map.of(Signer.ID, id, "service.id", serviceId, "service.ranking", 0);
  }

  @Override
  public boolean hardwareBacked() {
    return hardware;
  }

  @Override
  public KeyHandle generate(KeyAlgorithm algorithm, String label) throws SignerException {
    live();
    if (algorithm == KeyAlgorithm.ED25519 && !ed25519) {
      throw new SignerException("unsupported_algorithm", "no Ed25519 here");
    }
    try {
      KeyPairGenerator g;
      if (algorithm == KeyAlgorithm.ED25519) {
        g = KeyPairGenerator.getInstance("Ed25519");
      } else {
        g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
      }
      String keyId = UUID.randomUUID().toString();
      keys.put(keyId, g.generateKeyPair());
      algs.put(keyId, algorithm);
      return new KeyHandle(id, keyId, algorithm);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public List<KeyHandle> keys() {
    List<KeyHandle> out = new ArrayList<>();
    keys.keySet().forEach(k -> out.add(new KeyHandle(id, k, algs.get(k))));
    return out;
  }

  @Override
  public String publicJwk(KeyHandle handle) throws SignerException {
    KeyPair p = pair(handle);
    return PublicJwks.json(handle.algorithm(), publicBytes(handle.algorithm(), p));
  }

  static byte[] publicBytes(KeyAlgorithm alg, KeyPair p) {
    byte[] enc = p.getPublic().getEncoded();
    if (alg == KeyAlgorithm.ED25519) {
      return Arrays.copyOfRange(enc, enc.length - 32, enc.length);
    }
    ECPublicKey ec = (ECPublicKey) p.getPublic();
    byte[] out = new byte[65];
    out[0] = 4;
    System.arraycopy(PublicJwks.fixed(ec.getW().getAffineX(), 32), 0, out, 1, 32);
    System.arraycopy(PublicJwks.fixed(ec.getW().getAffineY(), 32), 0, out, 33, 32);
    return out;
  }

  @Override
  public byte[] sign(KeyHandle handle, byte[] message) throws SignerException {
    KeyPair p = pair(handle);
    CountDownLatch in = entered;
    CountDownLatch out = release;
    if (in != null && out != null) {
      in.countDown();
      try {
        out.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SignerException("backend_unavailable", "interrupted");
      }
    }
    try {
      Signature s =
          Signature.getInstance(
              handle.algorithm() == KeyAlgorithm.ED25519
                  ? "Ed25519"
                  : "SHA256withECDSAinP1363Format");
      s.initSign(p.getPrivate());
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean delete(KeyHandle handle) throws SignerException {
    live();
    algs.remove(handle.keyId());
    return keys.remove(handle.keyId()) != null;
  }

  KeyPair pair(KeyHandle handle) throws SignerException {
    live();
    KeyPair p = keys.get(handle.keyId());
    if (p == null || !id.equals(handle.signerId())) {
      throw new SignerException("unknown_handle", "no such key");
    }
    return p;
  }

  private void live() throws SignerException {
    if (stopped) {
      throw new SignerException("backend_unavailable", "stopped");
    }
  }
}
