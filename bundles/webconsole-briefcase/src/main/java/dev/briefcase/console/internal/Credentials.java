package dev.briefcase.console.internal;

import dev.briefcase.edge.OwnerOnlyFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The console login: a user name from configuration and a password from an owner-only file (first
 * line; plain text, or {@code {sha-256}<base64 of SHA-256(password)>} as the Felix web console
 * writes it). There is no default password: a missing file is generated at first start ({@link
 * #generate}); a file that says {@code admin} (the web console's well-known default) is marked
 * {@link #usingDefault} and refused in every profile; a file others can read is refused with {@code
 * token_file_permissions}.
 *
 * @param user the user name
 * @param passwordSha256 SHA-256 of the password
 * @param usingDefault whether the password is {@code admin}
 */
record Credentials(String user, byte[] passwordSha256, boolean usingDefault) {
  static final String DEFAULT_PASSWORD = "admin";
  private static final String HASH_PREFIX = "{sha-256}";

  /** Reads the password file; a missing, empty or widely readable file is an error. */
  static Credentials load(String user, Path passwordFile) throws IOException {
    OwnerOnlyFile.requirePrivate(passwordFile, "; refusing to use it");
    String line = Files.readString(passwordFile, StandardCharsets.UTF_8);
    int nl = line.indexOf('\n');
    line = (nl >= 0 ? line.substring(0, nl) : line).strip();
    if (line.isEmpty()) {
      throw new IOException("the password file " + passwordFile + " is empty");
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
    return new Credentials(user, hash, MessageDigest.isEqual(hash, sha256(DEFAULT_PASSWORD)));
  }

  /**
   * Writes a new random password (24 URL-safe characters, 144 bits) to {@code passwordFile} unless
   * it exists: through a 0600 temporary file linked into place, so no empty or readable file is
   * ever visible. Returns whether this call made the file.
   */
  static boolean generate(Path passwordFile) throws IOException {
    byte[] raw = new byte[18];
    new SecureRandom().nextBytes(raw);
    String password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    return OwnerOnlyFile.createAtomically(
        passwordFile, (password + "\n").getBytes(StandardCharsets.US_ASCII));
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
