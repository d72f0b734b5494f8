package dev.briefcase.admin.api.internal;

import dev.briefcase.secrets.Sensitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The admin bearer token of SPEC §18: {@code <data_dir>/auth_token}, b64url of 32 random bytes and
 * a newline, mode 0600, created on first start. Compared in constant time.
 */
final class TokenFile {
  private TokenFile() {}

  static Sensitive<byte[]> loadOrCreate(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n";
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, token, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
      } catch (FileAlreadyExistsException e) {
        // another process created it first: use theirs
      } catch (UnsupportedOperationException e) {
        Files.writeString(file, token, StandardOpenOption.CREATE_NEW, StandardOpenOption.SYNC);
      }
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    if (text.length() < 32) {
      throw new IOException("auth_token is too short; delete it to have a new one made");
    }
    return Sensitive.of(text.getBytes(StandardCharsets.US_ASCII));
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
