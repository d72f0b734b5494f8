package dev.briefcase.vc;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** Issuer keys for tests: a software Ed25519 or P-256 key behind a {@link JwsSigner}. */
final class TestKeys {
  private TestKeys() {}

  static final class Ed25519 {
    final Ed25519PrivateKeyParameters priv;
    final DidKey did;
    final JwsSigner signer;

    Ed25519() throws VcException {
      this(new Ed25519PrivateKeyParameters(new SecureRandom()));
    }

    Ed25519(Ed25519PrivateKeyParameters priv) throws VcException {
      this.priv = priv;
      this.did = DidKey.ed25519(priv.generatePublicKey().getEncoded());
      this.signer = JwsSigner.of(did, this::sign);
    }

    byte[] sign(byte[] input) {
      Ed25519Signer s = new Ed25519Signer();
      s.init(true, priv);
      s.update(input, 0, input.length);
      return s.generateSignature();
    }

    byte[] seed() {
      return priv.getEncoded();
    }
  }

  static final class P256 {
    final KeyPair pair;
    final DidKey did;
    final JwsSigner signer;

    P256() throws Exception {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      pair = g.generateKeyPair();
      ECPublicKey pub = (ECPublicKey) pair.getPublic();
      byte[] sec1 = new byte[65];
      sec1[0] = 4;
      copy32(pub.getW().getAffineX().toByteArray(), sec1, 1);
      copy32(pub.getW().getAffineY().toByteArray(), sec1, 33);
      did = DidKey.p256(sec1);
      signer = JwsSigner.of(did, this::sign);
    }

    byte[] sign(byte[] input) throws Exception {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initSign(pair.getPrivate());
      s.update(input);
      return s.sign();
    }

    private static void copy32(byte[] v, byte[] out, int at) {
      int n = Math.min(v.length, 32);
      System.arraycopy(v, v.length - n, out, at + 32 - n, n);
    }
  }
}
