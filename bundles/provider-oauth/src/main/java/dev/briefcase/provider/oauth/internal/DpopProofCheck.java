package dev.briefcase.provider.oauth.internal;

import dev.briefcase.dpop.DpopException;
import dev.briefcase.dpop.DpopRequest;
import dev.briefcase.dpop.DpopVerifier;
import dev.briefcase.dpop.ReplayCache;
import dev.briefcase.dpop.ServerNonces;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ProofCheck} on the shared verifier of {@code dev.briefcase.dpop}, with its own replay
 * cache and, when configured, five-minute server nonces. Every refusal but a missing nonce is
 * {@code invalid_dpop_proof} (RFC 9449 §5), a replayed proof included; a replay cache full of
 * proofs still acceptable is {@code temporarily_unavailable} (503).
 */
final class DpopProofCheck implements ProofCheck {
  private static final Logger LOG = LoggerFactory.getLogger(DpopProofCheck.class);

  private final DpopVerifier verifier;
  private final boolean requireNonce;

  DpopProofCheck(boolean requireNonce, Clock clock) {
    this.requireNonce = requireNonce;
    ServerNonces nonces =
        requireNonce ? new ServerNonces(clock, Duration.ofMinutes(5), new SecureRandom()) : null;
    this.verifier =
        new DpopVerifier(
            clock,
            new ReplayCache(clock, ReplayCache.MIN_RETENTION, ReplayCache.MIN_CAPACITY),
            nonces);
  }

  @Override
  public String jkt(String proof, String htm, String htu) throws OAuthError {
    try {
      return verifier.verify(new DpopRequest(proof, htm, htu, null, null, requireNonce)).jkt();
    } catch (DpopException e) {
      // the reason names the failed check, never the proof
      LOG.debug("DPoP proof refused at the token endpoint: {} ({})", e.code(), e.getMessage());
      if (DpopException.USE_DPOP_NONCE.equals(e.code())) {
        throw new OAuthError("use_dpop_nonce", 400, "the proof must carry the server's nonce");
      }
      if (DpopException.REPLAY_CACHE_FULL.equals(e.code())) {
        // the proof is not at fault: the replay cache holds only proofs still acceptable
        throw new OAuthError(
            "temporarily_unavailable", 503, "too many DPoP proofs in flight; try again shortly");
      }
      throw new OAuthError("invalid_dpop_proof", 400, "the DPoP proof is not valid");
    }
  }

  @Override
  public String nonce() {
    return requireNonce ? verifier.nonces().current() : null;
  }
}
