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
import java.util.Map;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code api_key} credential strategy: the secret named by the need's reference, sent in one
 * header. Options: {@code header} (default {@code Authorization}) and {@code prefix} (default
 * {@code "Bearer "} for {@code Authorization}, none otherwise). An API key cannot be refreshed, so
 * a refusal by the resource is final ({@code credential_rejected}).
 */
@Component(property = CredentialStrategy.KIND + "=" + CredentialNeed.API_KEY)
public final class ApiKeyStrategy implements CredentialStrategy {
  private final SecretStore secrets;

  @Activate
  public ApiKeyStrategy(@Reference ComponentServiceObjects<SecretStore> secrets) {
    this(new LazySecretStore(secrets));
  }

  @Deactivate
  void deactivate() {
    if (secrets instanceof LazySecretStore lazy) {
      lazy.close();
    }
  }

  ApiKeyStrategy(SecretStore secrets) {
    this.secrets = secrets;
  }

  @Override
  public void preflight(CredentialNeed need) throws CredentialException {
    header(need);
    SecretHeader.requirePresent(secrets, need);
  }

  @Override
  public RequestCredential authorize(CredentialNeed need, String method, URI target)
      throws CredentialException {
    String header = header(need);
    String prefix =
        need.options()
            .getOrDefault("prefix", "Authorization".equalsIgnoreCase(header) ? "Bearer " : "");
    return new RequestCredential(
        Map.of(header, Sensitive.of(prefix + SecretHeader.text(secrets, need))), null);
  }

  @Override
  public Retry rejected(CredentialNeed need, String method, URI target, Rejection rejection)
      throws CredentialException {
    throw new CredentialException(
        CredentialException.CREDENTIAL_REJECTED,
        "the resource refused the API key "
            + need.reference()
            + " (HTTP "
            + rejection.status()
            + ")");
  }

  private static String header(CredentialNeed need) throws CredentialException {
    for (String option : need.options().keySet()) {
      if (!option.equals("header") && !option.equals("prefix")) {
        throw new CredentialException(
            CredentialException.INVALID_CREDENTIAL_NEED, "unknown api_key option " + option);
      }
    }
    return SecretHeader.headerName(need.options().getOrDefault("header", "Authorization"));
  }
}
