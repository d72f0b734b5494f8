package dev.briefcase.signer;

import java.util.Objects;

/**
 * A reference to a key inside one signer backend; it carries no key material.
 *
 * @param signerId the backend's {@code signer.id}
 * @param keyId the backend's id for the key
 * @param algorithm the key type
 */
public record KeyHandle(String signerId, String keyId, KeyAlgorithm algorithm) {
  public KeyHandle {
    Objects.requireNonNull(signerId, "signerId");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(algorithm, "algorithm");
  }
}
