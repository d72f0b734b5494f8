package dev.briefcase.gateway.mcp.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Small owner-only files in the data directory: the MCP bearer token ({@code mcp_token}, b64url of
 * 32 random bytes, created once) and the listener URL ({@code mcp.url}, replaced atomically).
 */
final class TokenFile {
  private TokenFile() {}

  /** The token bytes (ASCII), created with mode 0600 if the file does not exist. */
  static byte[] loadOrCreate(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n";
      try {
        createPrivate(file);
        Files.writeString(file, token, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
      } catch (FileAlreadyExistsException e) {
        // created concurrently: use that one
      }
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    if (text.length() < 32) {
      throw new IOException(file.getFileName() + " is too short; delete it to have a new one made");
    }
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** Writes {@code line} and a newline to {@code file} through a 0600 temporary file and a move. */
  static void writeAtomically(Path file, String line) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    createPrivate(tmp);
    Files.writeString(tmp, line + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void createPrivate(Path file) throws IOException {
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
  }
}
