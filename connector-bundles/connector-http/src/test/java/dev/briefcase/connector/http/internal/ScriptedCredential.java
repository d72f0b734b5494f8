package dev.briefcase.connector.http.internal;

import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.secrets.Sensitive;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A call credential that hands out canary headers ({@code Authorization: Bearer CANARY-<n>}, and a
 * DPoP proof naming the last nonce) and allows a scripted number of retries, like the kernel's:
 * {@code invalid_token} once (then {@code credential_expired}), {@code use_dpop_nonce} once.
 */
final class ScriptedCredential implements CallCredential {
  static final String CANARY = "CANARY-7f3a9c";

  final List<Rejection> rejections = new CopyOnWriteArrayList<>();
  final List<URI> targets = new CopyOnWriteArrayList<>();
  private final CredentialNeed need;
  private int issued;
  private String nonce;
  private boolean refreshed;
  private boolean nonceRetried;

  ScriptedCredential(CredentialNeed need) {
    this.need = need;
  }

  static String token(int n) {
    return CANARY + "-token-" + n;
  }

  @Override
  public CredentialNeed need() {
    return need;
  }

  @Override
  public synchronized RequestCredential authorize(String method, URI target) {
    targets.add(target);
    issued++;
    Map<String, Sensitive<String>> headers = new LinkedHashMap<>();
    headers.put("Authorization", Sensitive.of("Bearer " + token(issued)));
    headers.put("DPoP", Sensitive.of(CANARY + "-proof-" + issued + "-nonce-" + nonce));
    return new RequestCredential(headers, null);
  }

  @Override
  public synchronized void rejected(String method, URI target, Rejection rejection) {
    rejections.add(rejection);
    String error = rejection.error();
    if ("use_dpop_nonce".equals(error) && rejection.dpopNonce() != null && !nonceRetried) {
      nonceRetried = true;
      nonce = rejection.dpopNonce();
      return;
    }
    if ("invalid_token".equals(error) && !refreshed) {
      refreshed = true;
      return;
    }
    if ("invalid_token".equals(error)) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_EXPIRED, "the resource refused the token after a refresh");
    }
    throw new CredentialException(
        CredentialException.CREDENTIAL_REJECTED, "the resource refused the credential");
  }
}
