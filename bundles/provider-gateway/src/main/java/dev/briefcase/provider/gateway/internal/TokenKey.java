package dev.briefcase.provider.gateway.internal;

/**
 * The provider's signing key (the key directory's {@code identity} role, Ed25519): its public key
 * and {@code kid}, and signing. Implementations read the current key per call, so a rotation is
 * seen at once.
 */
interface TokenKey {
  /** The current public key; {@code signing_key_unavailable} (503) when there is none. */
  PublicKey current();

  /** Signs with the current key (a raw 64-byte Ed25519 signature). */
  byte[] sign(byte[] input);

  /** A public Ed25519 key: raw 32 bytes and its did:key verification method id. */
  record PublicKey(byte[] raw, String kid) {}
}
