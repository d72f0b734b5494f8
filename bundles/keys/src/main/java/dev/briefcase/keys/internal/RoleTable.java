package dev.briefcase.keys.internal;

import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The role → key bindings: the store table {@code key_roles} (migration owner {@code keys}) and the
 * in-memory copy that serves reads. Also the rules of role names and their key algorithms. Reads
 * are thread-safe; writers serialise themselves (the directory holds one lock for every change).
 */
final class RoleTable {
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE key_roles (role TEXT PRIMARY KEY, signer_id TEXT NOT NULL, key_id TEXT NOT"
              + " NULL, algorithm TEXT NOT NULL, hardware INTEGER NOT NULL, public_jwk TEXT NOT"
              + " NULL, thumbprint TEXT NOT NULL, created_at TEXT NOT NULL)");

  private static final Pattern SERVER = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final Store store;
  private final Map<String, KeyInfo> roles = new ConcurrentHashMap<>();

  /** Migrates the table and loads every binding. */
  RoleTable(Store store) {
    this.store = store;
    store.migrate("keys", MIGRATIONS);
    store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT role, signer_id, key_id, algorithm, hardware, public_jwk, thumbprint,"
                          + " created_at FROM key_roles");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              KeyInfo k =
                  new KeyInfo(
                      rs.getString(1),
                      new KeyHandle(
                          rs.getString(2), rs.getString(3), KeyAlgorithm.valueOf(rs.getString(4))),
                      rs.getInt(5) != 0,
                      rs.getString(6),
                      rs.getString(7),
                      Instant.parse(rs.getString(8)));
              roles.put(k.role(), k);
            }
          }
          return null;
        });
  }

  /** {@code role} if it is {@code identity}, {@code pop} or {@code dpop:<server>}. */
  static String checkRole(String role) throws KeyException {
    if (role == null) {
      throw new KeyException(KeyException.INVALID_ROLE, "role is required");
    }
    if (role.equals(KeyDirectory.IDENTITY) || role.equals(KeyDirectory.POP)) {
      return role;
    }
    if (role.startsWith(KeyDirectory.DPOP_PREFIX)
        && SERVER.matcher(role.substring(KeyDirectory.DPOP_PREFIX.length())).matches()) {
      return role;
    }
    throw new KeyException(
        KeyException.INVALID_ROLE,
        "role must be identity, pop or dpop:<server> ([A-Za-z0-9._-]{1,64})");
  }

  static KeyAlgorithm defaultAlgorithm(String role) {
    return KeyDirectory.IDENTITY.equals(role) ? KeyAlgorithm.ED25519 : KeyAlgorithm.P256;
  }

  static void checkAlgorithm(String role, KeyAlgorithm algorithm) throws KeyException {
    if (KeyDirectory.IDENTITY.equals(role) && algorithm != KeyAlgorithm.ED25519) {
      throw new KeyException(KeyException.INVALID_ALGORITHM, "the identity key is Ed25519");
    }
  }

  /** The binding of a checked role, or null. */
  KeyInfo get(String role) {
    return roles.get(role);
  }

  int size() {
    return roles.size();
  }

  /** Every binding, by role. */
  List<KeyInfo> list() {
    return roles.values().stream().sorted(Comparator.comparing(KeyInfo::role)).toList();
  }

  /** Stores {@code k} as the binding of its role, replacing any earlier one. */
  void put(KeyInfo k) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO key_roles (role, signer_id, key_id, algorithm, hardware, public_jwk,"
                      + " thumbprint, created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(role) DO"
                      + " UPDATE SET signer_id = excluded.signer_id, key_id = excluded.key_id,"
                      + " algorithm = excluded.algorithm, hardware = excluded.hardware, public_jwk"
                      + " = excluded.public_jwk, thumbprint = excluded.thumbprint, created_at ="
                      + " excluded.created_at")) {
            ps.setString(1, k.role());
            ps.setString(2, k.handle().signerId());
            ps.setString(3, k.handle().keyId());
            ps.setString(4, k.handle().algorithm().name());
            ps.setInt(5, k.hardwareBacked() ? 1 : 0);
            ps.setString(6, k.publicJwk());
            ps.setString(7, k.thumbprint());
            ps.setString(8, k.createdAt().toString());
            return ps.executeUpdate();
          }
        });
    roles.put(k.role(), k);
  }

  /** Removes the binding of a role. */
  void remove(String role) {
    store.write(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM key_roles WHERE role = ?")) {
            ps.setString(1, role);
            return ps.executeUpdate();
          }
        });
    roles.remove(role);
  }
}
