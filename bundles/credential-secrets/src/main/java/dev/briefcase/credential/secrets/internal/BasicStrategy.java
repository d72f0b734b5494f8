package dev.briefcase.credential.secrets.internal;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.edge.secrets.LazySecretStore;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code basic} credential strategy (RFC 7617): the secret named by the need's reference holds
 * {@code user:password}, sent as {@code Authorization: Basic}. The user part must not be empty nor
 * contain a colon. No options. A refusal by the resource is final ({@code credential_rejected}).
 */
@Component(property = CredentialStrategy.KIND + "=" + CredentialNeed.BASIC)
public final class BasicStrategy implements CredentialStrategy {
  private final SecretStore secrets;

  @Activate
  public BasicStrategy(@Reference ComponentServiceObjects<SecretStore> secrets) {
    this(new LazySecretStore(secrets));
  }

  @Deactivate
  void deactivate() {
    if (secrets instanceof LazySecretStore lazy) {
      lazy.close();
    }
  }

  BasicStrategy(SecretStore secrets) {
    this.secrets = secrets;
  }

  @Override
  public void preflight(CredentialNeed need) throws CredentialException {
    noOptions(need);
    SecretHeader.requirePresent(secrets, need);
  }

  @Override
  public RequestCredential authorize(CredentialNeed need, String method, URI target)
      throws CredentialException {
    noOptions(need);
    String pair = SecretHeader.utf8Text(secrets, need);
    if (pair.indexOf(':') < 1) {
      throw new CredentialException(
          CredentialException.INVALID_SECRET_VALUE,
          "the secret " + need.reference() + " is not user:password");
    }
    String encoded = Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    return new RequestCredential(Map.of("Authorization", Sensitive.of("Basic " + encoded)), null);
  }

  @Override
  public Retry rejected(CredentialNeed need, String method, URI target, Rejection rejection)
      throws CredentialException {
    throw new CredentialException(
        CredentialException.CREDENTIAL_REJECTED,
        "the resource refused the basic credentials "
            + need.reference()
            + " (HTTP "
            + rejection.status()
            + ")");
  }

  private static void noOptions(CredentialNeed need) throws CredentialException {
    if (!need.options().isEmpty()) {
      throw new CredentialException(
          CredentialException.INVALID_CREDENTIAL_NEED, "the basic strategy takes no options");
    }
  }
}
