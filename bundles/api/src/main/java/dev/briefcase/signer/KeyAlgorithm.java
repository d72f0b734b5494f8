package dev.briefcase.signer;

/** The key types Briefcase uses. */
public enum KeyAlgorithm {
  ED25519,
  P256
}
