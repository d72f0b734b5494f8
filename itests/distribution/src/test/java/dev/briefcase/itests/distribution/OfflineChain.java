package dev.briefcase.itests.distribution;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * An independent verifier: reads the receipts table straight from the SQLite file and recomputes
 * every hash of SPEC §6 with its own JCS, without any Briefcase code.
 */
final class OfflineChain {
  record Result(boolean ok, long count, Long firstBadId, Set<Long> ids) {}

  private OfflineChain() {}

  static Result verify(Path db) throws Exception {
    Set<Long> ids = new HashSet<>();
    ObjectMapper json = new ObjectMapper();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db + "?open_mode=1");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT id, prev_hash_hex, hash_hex, event_json FROM receipts ORDER BY id")) {
      String prev = "0".repeat(64);
      long expectedId = 1;
      long count = 0;
      while (rs.next()) {
        long id = rs.getLong(1);
        String canonical =
            new JsonCanonicalizer(json.readTree(rs.getString(4)).toString()).getEncodedString();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(prev.getBytes(StandardCharsets.US_ASCII));
        sha.update(canonical.getBytes(StandardCharsets.UTF_8));
        String hash = HexFormat.of().formatHex(sha.digest());
        if (id != expectedId || !prev.equals(rs.getString(2)) || !hash.equals(rs.getString(3))) {
          return new Result(false, count, id, ids);
        }
        ids.add(id);
        prev = hash;
        expectedId++;
        count++;
      }
      return new Result(true, count, null, ids);
    }
  }
}
