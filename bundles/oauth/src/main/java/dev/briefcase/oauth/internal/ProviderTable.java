package dev.briefcase.oauth.internal;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.Provider;
import dev.briefcase.store.Store;
import java.net.URI;
import java.net.URISyntaxException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The provider registry in the store (table {@code oauth_providers}, migration owner {@code oauth})
 * and the SPEC §8.1 rules every entry obeys, checked when it is added and again on every read.
 * Nothing in it is secret: refresh tokens and registered client ids live in the secret store.
 */
final class ProviderTable {
  static final String OWNER = "oauth";
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE oauth_providers (id TEXT PRIMARY KEY, base_url TEXT NOT NULL,"
              + " resource_url TEXT NOT NULL, client_id TEXT, scope TEXT, created_at TEXT NOT"
              + " NULL)",
          // an operator's revocation (or the AS refusing the refresh token) until the next login
          "ALTER TABLE oauth_providers ADD COLUMN revoked_at TEXT");

  /**
   * SPEC §8.1 allows 64 characters; the provider's DPoP key role {@code dpop:oauth.<id>} must fit
   * the key directory's 64-character server name, so 58 is the limit here.
   */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,58}");

  // RFC 6749 §A.1 client_id characters (VSCHAR) and §3.3 scope-token characters plus spaces
  private static final Pattern CLIENT_ID = Pattern.compile("[\\x20-\\x7E]{1,256}");
  private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E ]{1,512}");

  private final Store store;

  ProviderTable(Store store) {
    this.store = store;
    store.migrate(OWNER, MIGRATIONS);
  }

  /** The entry checked and normalised, else the code of the first broken rule. */
  static Provider check(
      String id, String baseUrl, String resourceUrl, String clientId, String scope)
      throws CredentialException {
    if (id == null || !ID.matcher(id).matches()) {
      throw new CredentialException(
          CredentialException.INVALID_PROVIDER_ID, "provider id must match [A-Za-z0-9._-]{1,58}");
    }
    URI base = baseUrl(baseUrl);
    String normalised = base.toString();
    URI resource = base;
    if (resourceUrl != null) {
      resource = url(resourceUrl, CredentialException.INVALID_ENDPOINT_URL);
      if (resource.getRawQuery() != null || !ServerUrls.isPrefix(base, resource)) {
        throw new CredentialException(
            CredentialException.INVALID_ENDPOINT_URL,
            "resource_url must lie under base_url, without a query");
      }
    }
    if (clientId != null && !CLIENT_ID.matcher(clientId).matches()) {
      throw new CredentialException("invalid_client_id", "client_id must be printable ASCII");
    }
    if (scope != null) {
      checkScope(scope);
    }
    return new Provider(id, normalised, resource.toString(), clientId, scope);
  }

  /** RFC 6749 §3.3 scope tokens separated by spaces, else {@code invalid_scope}. */
  static void checkScope(String scope) throws CredentialException {
    if (!SCOPE.matcher(scope).matches()) {
      throw new CredentialException("invalid_scope", "scope must be RFC 6749 scope tokens");
    }
  }

  /**
   * SPEC §8.1: https or loopback http; no userinfo, query, fragment or path; one trailing {@code /}
   * stripped.
   */
  static URI baseUrl(String baseUrl) throws CredentialException {
    String code = CredentialException.INVALID_BASE_URL;
    URI u = url(baseUrl, code);
    String path = u.getRawPath();
    if (u.getRawQuery() != null || (path != null && !path.isEmpty() && !path.equals("/"))) {
      throw new CredentialException(code, "base_url must have no path, query or fragment");
    }
    try {
      return new URI(u.getScheme() + "://" + u.getRawAuthority());
    } catch (URISyntaxException e) {
      throw new CredentialException(code, "not a URL");
    }
  }

  private static URI url(String url, String code) throws CredentialException {
    try {
      return ServerUrls.check(url, code);
    } catch (OAuthException e) {
      throw new CredentialException(code, e.getMessage());
    }
  }

  /** Inserts an entry; false when the id is taken. */
  boolean insert(Provider p, Instant now) {
    return store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO oauth_providers (id, base_url, resource_url, client_id, scope,"
                      + " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING")) {
            ps.setString(1, p.id());
            ps.setString(2, p.baseUrl());
            ps.setString(3, p.resourceUrl());
            ps.setString(4, p.clientId());
            ps.setString(5, p.scope());
            ps.setString(6, now.toString());
            return ps.executeUpdate() == 1;
          }
        });
  }

  boolean delete(String id) {
    return store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM oauth_providers WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * Marks a provider revoked ({@code at}) or clears the mark ({@code null}); false when no entry
   * has this id.
   */
  boolean setRevoked(String id, Instant at) {
    return store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("UPDATE oauth_providers SET revoked_at = ? WHERE id = ?")) {
            ps.setString(1, at == null ? null : at.toString());
            ps.setString(2, id);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /** Whether a stored row carries a revocation mark. */
  static boolean revoked(String[] row) {
    return row.length > 5 && row[5] != null;
  }

  /**
   * Every entry as stored, unchecked (the caller re-validates): id, base URL, resource URL, client
   * id, scope, revocation time.
   */
  List<String[]> rows() {
    return store.read(
        c -> {
          List<String[]> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id, base_url, resource_url, client_id, scope, revoked_at FROM"
                          + " oauth_providers ORDER BY id");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new String[] {
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getString(6)
                  });
            }
          }
          return out;
        });
  }

  /** One entry as stored, unchecked. */
  Optional<String[]> row(String id) {
    return rows().stream().filter(r -> r[0].equals(id)).findFirst();
  }
}
