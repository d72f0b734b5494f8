package dev.briefcase.edge;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * Small owner-only files in the data directory: bearer tokens ({@code auth_token}, {@code
 * mcp_token}), the console password, the listener URL files.
 *
 * <p>A new file is written to a 0600 temporary file in the same directory and then linked into
 * place, so no reader ever sees an empty or wider file and a file made concurrently by another
 * process is never replaced. An existing file with permissions wider than 0600 (or that is not a
 * regular file) is refused with {@code token_file_permissions}: others may have read it.
 */
public final class OwnerOnlyFile {
  private static final String TEMP_SUFFIX = ".tmp";
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  /** The stable code of a token file that others can read. */
  public static final String PERMISSIONS_CODE = "token_file_permissions";

  /** The end of the refusal of a file whose mode is wider than 0600. */
  public static final String WIDER_THAN_0600 =
      ", wider than rw------- (0600); others may have read it. Delete it to have a new"
          + " one made, or chmod 600 it if nobody else could read it";

  private static final Set<PosixFilePermission> PRIVATE =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private OwnerOnlyFile() {}

  /** A file refused with {@link #PERMISSIONS_CODE}; the message starts with the code. */
  public static final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
      super(message);
    }
  }

  /**
   * A bearer token (ASCII, stripped): b64url of 32 random bytes and a newline, created with mode
   * 0600 if the file does not exist; an existing file must be owner-only and hold at least 32
   * characters.
   */
  public static byte[] loadOrCreateToken(Path file) throws IOException {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n";
      createAtomically(file, token.getBytes(StandardCharsets.US_ASCII));
    }
    requirePrivate(file, "; refusing to use it as a token");
    String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    if (text.length() < 32) {
      throw new IOException(file.getFileName() + " is too short; delete it to have a new one made");
    }
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Refuses ({@link RefusedException}) a file that is not a regular file or whose mode grants
   * anything beyond owner read and write; a no-op where the file system has no POSIX permissions.
   * The refusal of a file that is not a regular file ends with {@code notRegular}.
   */
  public static void requirePrivate(Path file, String notRegular) throws IOException {
    PosixFileAttributeView view =
        Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (view == null) {
      return;
    }
    PosixFileAttributes a = view.readAttributes();
    if (!a.isRegularFile()) {
      throw new RefusedException(
          PERMISSIONS_CODE + ": " + file + " is not a regular file" + notRegular);
    }
    if (!PRIVATE.containsAll(a.permissions())) {
      throw new RefusedException(
          PERMISSIONS_CODE
              + ": "
              + file
              + " has mode "
              + PosixFilePermissions.toString(a.permissions())
              + WIDER_THAN_0600);
    }
  }

  /**
   * Creates {@code file} with {@code content} unless it exists: written and synced in a 0600
   * temporary file, then hard-linked into place (atomic, never replaces). Returns whether this call
   * made the file.
   */
  public static boolean createAtomically(Path file, byte[] content) throws IOException {
    Path tmp = writePrivateTemp(file, content);
    try {
      Files.createLink(file, tmp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false; // created concurrently: use that one
    } catch (UnsupportedOperationException | IOException e) {
      // no hard links here: a rename is still atomic, checked just before
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes {@code line} and a newline to {@code file} as {@link #replace} does. */
  public static void writeAtomically(Path file, String line) throws IOException {
    replace(file, (line + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Replaces {@code file} with {@code content} so that a crash leaves either the old or the new
   * file, never a part or a wider one: written and synced in a 0600 temporary file in the same
   * directory ({@code .<name>-<random>.tmp}, see {@link #isTemporary}), moved into place
   * atomically, then the directory synced.
   */
  public static void replace(Path file, byte[] content) throws IOException {
    Path tmp = writePrivateTemp(file, content);
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      syncDirectory(file.toAbsolutePath().getParent());
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Whether {@code file} is a temporary file of {@link #replace} or {@link #createAtomically}: one
   * a crash left behind is garbage, since its move never happened.
   */
  public static boolean isTemporary(Path file) {
    String name = file.getFileName().toString();
    return name.startsWith(".") && name.endsWith(TEMP_SUFFIX);
  }

  /**
   * Makes a rename or removal in {@code dir} durable (fsync of the directory); a no-op where a
   * directory cannot be opened (Windows, whose NTFS log makes the rename durable).
   */
  public static void syncDirectory(Path dir) throws IOException {
    if (!POSIX) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static Path writePrivateTemp(Path file, byte[] content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    String prefix = "." + file.getFileName() + "-";
    Path tmp;
    try {
      tmp =
          Files.createTempFile(
              dir,
              prefix,
              TEMP_SUFFIX,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      tmp = Files.createTempFile(dir, prefix, TEMP_SUFFIX);
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(content);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return tmp;
  }
}
