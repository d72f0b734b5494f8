package dev.briefcase.console.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The console login: a user name from configuration and a password from a file (first line; plain
 * text, or {@code {sha-256}<base64 of SHA-256(password)>} as the Felix web console writes it).
 * Without a file the password is {@code admin} — the web console's well-known default, which the
 * {@code ga} profile refuses.
 *
 * @param user the user name
 * @param passwordSha256 SHA-256 of the password
 * @param usingDefault whether the password is {@code admin} (from a missing file or written so)
 * @param fromFile whether a password file was read
 */
record Credentials(String user, byte[] passwordSha256, boolean usingDefault, boolean fromFile) {
  static final String DEFAULT_PASSWORD = "admin";
  private static final String HASH_PREFIX = "{sha-256}";

  /** Reads the password file; a missing file means the default password. */
  static Credentials load(String user, Path passwordFile) throws IOException {
    byte[] adminHash = sha256(DEFAULT_PASSWORD);
    String line;
    try {
      line = Files.readString(passwordFile, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return new Credentials(user, adminHash, true, false);
    }
    int nl = line.indexOf('\n');
    line = (nl >= 0 ? line.substring(0, nl) : line).strip();
    if (line.isEmpty()) {
      return new Credentials(user, adminHash, true, false);
    }
    byte[] hash;
    if (line.regionMatches(true, 0, HASH_PREFIX, 0, HASH_PREFIX.length())) {
      try {
        hash = Base64.getDecoder().decode(line.substring(HASH_PREFIX.length()));
      } catch (IllegalArgumentException e) {
        throw new IOException("the password file holds an invalid {sha-256} value");
      }
      if (hash.length != 32) {
        throw new IOException("the password file holds an invalid {sha-256} value");
      }
    } else {
      hash = sha256(line);
    }
    return new Credentials(user, hash, MessageDigest.isEqual(hash, adminHash), true);
  }

  /** Constant-time check of a login. */
  boolean matches(String givenUser, String givenPassword) {
    if (givenUser == null || givenPassword == null) {
      return false;
    }
    boolean userOk =
        MessageDigest.isEqual(
            givenUser.getBytes(StandardCharsets.UTF_8), user.getBytes(StandardCharsets.UTF_8));
    boolean passwordOk = MessageDigest.isEqual(sha256(givenPassword), passwordSha256);
    return userOk & passwordOk;
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
