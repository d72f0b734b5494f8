package dev.briefcase.keys;

import dev.briefcase.signer.KeyAlgorithm;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The key directory (SPEC §12): binds roles to keys held by signer backends and signs with them.
 * Roles are {@value #IDENTITY} (Ed25519), {@value #POP} (a separate key, P-256 by default) and
 * {@code dpop:<server>} (one DPoP key per server). Signers are looked up for every call by the
 * handle's backend id, so a signer bundle can be replaced while signing continues; a missing
 * backend fails with {@code backend_unavailable}, never a hang.
 *
 * <p>Every create, rotate and delete writes a {@code key_lifecycle} receipt. Thread-safe; changes
 * to one directory are serialized.
 */
@ProviderType
public interface KeyDirectory {
  /** The identity role (Ed25519). */
  String IDENTITY = "identity";

  /** The proof-of-possession role. */
  String POP = "pop";

  /** Prefix of per-server DPoP roles: {@code dpop:<server>}. */
  String DPOP_PREFIX = "dpop:";

  /** Every bound role, sorted by role. */
  List<KeyInfo> list() throws KeyException;

  /** The key bound to a role, if any. */
  Optional<KeyInfo> get(String role) throws KeyException;

  /**
   * Creates a key for an unbound role.
   *
   * @param algorithm null for the role's default (identity Ed25519, others P-256)
   * @param backend a signer id, or null for the configured selection ({@code auto} prefers
   *     hardware)
   * @param actor who asked, recorded in the receipt
   * @throws KeyException {@code key_exists} when the role is bound
   */
  KeyInfo create(String role, KeyAlgorithm algorithm, String backend, String actor)
      throws KeyException;

  /** Replaces a role's key with a new one and destroys the old key. */
  KeyInfo rotate(String role, KeyAlgorithm algorithm, String backend, String actor)
      throws KeyException;

  /** Unbinds a role and destroys its key; {@code key_not_found} when unbound. */
  void delete(String role, String actor) throws KeyException;

  /** The role's key, created with the defaults on first use. */
  KeyInfo ensure(String role) throws KeyException;

  /** Signs with a role's key (created on first use): see {@code Signer#sign}. */
  byte[] sign(String role, byte[] message) throws KeyException;

  /**
   * A fresh RFC 9449 DPoP proof JWT from the key of {@code dpop:<server>}: header {@code
   * {typ:"dpop+jwt", alg, jwk}}, claims {@code jti, htm, htu, iat} plus {@code ath} and {@code
   * nonce} when given. When the key's algorithm differs from {@code algorithm}, the key is rotated
   * first and the old one deleted.
   *
   * @param accessToken null, or the token whose hash becomes {@code ath}
   * @param nonce null, or the server's nonce
   */
  String dpopProof(
      String server,
      KeyAlgorithm algorithm,
      String htm,
      String htu,
      String accessToken,
      String nonce)
      throws KeyException;

  /** The {@code key_custody} security check. */
  CustodyReport check();
}
