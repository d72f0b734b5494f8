package dev.briefcase.vc;

/**
 * The issuer's signing key, held by the caller (the provider signs with its key directory's
 * identity role). {@link #kid()} is the issuer's did:key verification method id {@code
 * did:key:z…#z…}, and the issuer DID is its part before {@code #}; {@link #alg()} must fit the key
 * ({@code EdDSA} for Ed25519, {@code ES256} for P-256), else issuing fails with {@code
 * vc_sign_failed}.
 */
public interface JwsSigner {
  /** {@code EdDSA} or {@code ES256}. */
  String alg();

  /** The verification method id {@code did:key:z…#z…}. */
  String kid();

  /**
   * Signs the JWS signing input ({@code b64url(header) "." b64url(payload)} as ASCII) and returns
   * the raw JWS signature: 64 bytes of Ed25519 for {@code EdDSA}, {@code r || s} (64 bytes) over
   * SHA-256 for {@code ES256} — what {@code KeyDirectory.sign} returns.
   *
   * @throws Exception any failure of the key backend; it becomes {@code vc_sign_failed}
   */
  byte[] sign(byte[] signingInput) throws Exception;

  /** The raw signing function of {@link #of}. */
  @FunctionalInterface
  interface Signing {
    byte[] sign(byte[] signingInput) throws Exception;
  }

  /** A signer for a did:key: {@code alg} from its key type, {@code kid} its verification method. */
  static JwsSigner of(DidKey key, Signing signing) {
    String alg = key.type().jwsAlgorithm();
    String kid = key.verificationMethod();
    return new JwsSigner() {
      @Override
      public String alg() {
        return alg;
      }

      @Override
      public String kid() {
        return kid;
      }

      @Override
      public byte[] sign(byte[] signingInput) throws Exception {
        return signing.sign(signingInput);
      }
    };
  }
}
