package dev.briefcase.admin.api.internal;

import dev.briefcase.edge.OwnerOnlyFile;
import dev.briefcase.secrets.Sensitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The admin bearer token of SPEC §18: {@code <data_dir>/auth_token}, b64url of 32 random bytes and
 * a newline, mode 0600, created on first start ({@link OwnerOnlyFile}: an existing file wider than
 * 0600 is refused with {@code token_file_permissions}); compared in constant time.
 */
final class TokenFile {
  private TokenFile() {}

  /** The token (ASCII), created with mode 0600 if the file does not exist. */
  static Sensitive<byte[]> loadOrCreate(Path file) throws IOException {
    return Sensitive.of(OwnerOnlyFile.loadOrCreateToken(file));
  }

  /** Whether an {@code Authorization} header carries exactly this token. */
  static boolean matches(Sensitive<byte[]> token, String authorization) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return false;
    }
    byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(token.reveal(), given);
  }
}
