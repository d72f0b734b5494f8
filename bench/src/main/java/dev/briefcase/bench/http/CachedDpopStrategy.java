package dev.briefcase.bench.http;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import java.net.URI;
import java.util.Map;

/**
 * A bench-local stand-in for the {@code oauth} strategy once a login has cached a DPoP-bound access
 * token: the token is held in memory, and every request gets a fresh RFC 9449 proof (with {@code
 * ath}) signed by the real key directory's {@code dpop:<server>} key. The real strategy needs an
 * authorization server to log in first; what it does per request after that — read the cached
 * token, sign one proof — is what this does, without the revocation check, nonce book-keeping or
 * refresh, which cost nothing on a warm call that the resource accepts.
 */
final class CachedDpopStrategy implements CredentialStrategy {
  static final String SERVER = "bench-as";

  private final KeyDirectory keys;
  private final String accessToken;

  CachedDpopStrategy(KeyDirectory keys, String accessToken) {
    this.keys = keys;
    this.accessToken = accessToken;
  }

  @Override
  public void preflight(CredentialNeed need) throws CredentialException {
    if (!SERVER.equals(need.reference())) {
      throw new CredentialException(
          CredentialException.UNKNOWN_PROVIDER, "no provider " + need.reference());
    }
  }

  @Override
  public RequestCredential authorize(CredentialNeed need, String method, URI target)
      throws CredentialException {
    preflight(need);
    // RFC 9449 §4.2: htu is the target URI without query and fragment
    String htu = target.getScheme() + "://" + target.getRawAuthority() + target.getRawPath();
    String proof = keys.dpopProof(SERVER, KeyAlgorithm.P256, method, htu, accessToken, null);
    return new RequestCredential(
        Map.of("Authorization", Sensitive.of("DPoP " + accessToken), "DPoP", Sensitive.of(proof)),
        null);
  }

  @Override
  public Retry rejected(CredentialNeed need, String method, URI target, Rejection rejection)
      throws CredentialException {
    throw new CredentialException(
        CredentialException.CREDENTIAL_REJECTED,
        "the resource refused the bench token (HTTP " + rejection.status() + ")");
  }
}
