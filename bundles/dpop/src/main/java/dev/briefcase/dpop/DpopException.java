package dev.briefcase.dpop;

/**
 * A DPoP proof that was refused. {@link #code()} is one of the stable codes below; the message is a
 * short reason without the proof, the key or the token (safe for a DEBUG log, never returned to a
 * caller). Unchecked so verifier calls read straight; callers map the code to their answer.
 */
public final class DpopException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** No proof where one is required (SPEC §8.2: 401 {@code missing_dpop}). */
  public static final String MISSING_DPOP = "missing_dpop";

  /** A proof that fails any check (SPEC §8.2: 401 {@code invalid_dpop}). */
  public static final String INVALID_DPOP = "invalid_dpop";

  /** A valid proof whose {@code jkt:jti} was seen before (RFC 9449 §11.1). */
  public static final String REPLAY_DETECTED = "replay_detected";

  /**
   * The replay cache is full of proofs that are still acceptable, so it cannot remember a new one
   * without forgetting one that could be replayed; the proof is refused (fail closed).
   */
  public static final String REPLAY_CACHE_FULL = "replay_cache_full";

  /** The server requires a nonce and the proof has none or a stale one (RFC 9449 §8). */
  public static final String USE_DPOP_NONCE = "use_dpop_nonce";

  private final String code;

  public DpopException(String code, String reason) {
    super(reason, null, false, false);
    this.code = code;
  }

  /** The stable error code: one of the constants of this class. */
  public String code() {
    return code;
  }
}
