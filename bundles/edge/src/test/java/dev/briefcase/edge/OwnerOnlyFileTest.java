package dev.briefcase.edge;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Test;

/** Owner-only token files: created 0600 and atomically, wider or non-regular files refused. */
public class OwnerOnlyFileTest {

  @Test
  public void tokenIsCreatedPrivateAndAtomically() throws Exception {
    Path dir = Files.createTempDirectory("edge-token");
    Path file = dir.resolve("auth_token");
    String first = new String(OwnerOnlyFile.loadOrCreateToken(file), StandardCharsets.US_ASCII);
    assertEquals(43, first.length());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String again = new String(OwnerOnlyFile.loadOrCreateToken(file), StandardCharsets.US_ASCII);
    assertEquals("an existing token is kept", first, again);
    assertFalse(
        "an existing file is never replaced", OwnerOnlyFile.createAtomically(file, new byte[1]));
    try (var listing = Files.list(dir)) {
      assertEquals("no temporary file left", 1, listing.count());
    }
  }

  @Test
  public void aTokenFileOthersCanReadIsRefused() throws Exception {
    Path file = Files.createTempDirectory("edge-token").resolve("auth_token");
    Files.writeString(file, "x".repeat(43) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try {
      OwnerOnlyFile.loadOrCreateToken(file);
      fail("a 0644 token was used");
    } catch (OwnerOnlyFile.RefusedException e) {
      assertEquals(
          "token_file_permissions: "
              + file
              + " has mode rw-r--r--, wider than rw------- (0600); others may have read it."
              + " Delete it to have a new one made, or chmod 600 it if nobody else could read it",
          e.getMessage());
    }
    Files.delete(file);
    Files.createSymbolicLink(file, Files.createTempFile("elsewhere", ""));
    try {
      OwnerOnlyFile.loadOrCreateToken(file);
      fail("a symbolic link was used");
    } catch (OwnerOnlyFile.RefusedException e) {
      assertEquals(
          "token_file_permissions: "
              + file
              + " is not a regular file; refusing to use it as a token",
          e.getMessage());
    }
  }

  @Test
  public void aShortTokenIsRefused() throws Exception {
    Path file = Files.createTempDirectory("edge-token").resolve("mcp_token");
    Files.writeString(file, "short\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    try {
      OwnerOnlyFile.loadOrCreateToken(file);
      fail("a short token was used");
    } catch (IOException e) {
      assertEquals("mcp_token is too short; delete it to have a new one made", e.getMessage());
    }
  }

  @Test
  public void requirePrivateEndsANonRegularRefusalAsTheCallerSays() throws Exception {
    Path dir = Files.createTempDirectory("edge-private");
    try {
      OwnerOnlyFile.requirePrivate(dir, "; refusing to use it");
      fail("a directory was accepted");
    } catch (OwnerOnlyFile.RefusedException e) {
      assertEquals(
          "token_file_permissions: " + dir + " is not a regular file; refusing to use it",
          e.getMessage());
    }
    Path file = dir.resolve("console_password");
    assertTrue(OwnerOnlyFile.createAtomically(file, "pw\n".getBytes(StandardCharsets.US_ASCII)));
    OwnerOnlyFile.requirePrivate(file, "; refusing to use it");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
    try {
      OwnerOnlyFile.requirePrivate(file, "; refusing to use it");
      fail("a 0660 file was accepted");
    } catch (OwnerOnlyFile.RefusedException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("token_file_permissions: " + file));
    }
  }

  @Test
  public void writeAtomicallyReplacesWithAnOwnerOnlyFile() throws Exception {
    Path dir = Files.createTempDirectory("edge-url");
    Path file = dir.resolve("admin.url");
    OwnerOnlyFile.writeAtomically(file, "http://127.0.0.1:1");
    OwnerOnlyFile.writeAtomically(file, "http://127.0.0.1:2");
    assertEquals("http://127.0.0.1:2\n", Files.readString(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (var listing = Files.list(dir)) {
      assertEquals("no temporary file left", 1, listing.count());
    }
  }

  @Test
  public void replaceTightensAWiderFileAndLeavesNoTemporaryFile() throws Exception {
    Path dir = Files.createTempDirectory("edge-replace");
    Path file = dir.resolve("record.json");
    Files.write(file, new byte[] {1, 2, 3});
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    byte[] content = {0, (byte) 0xff, 10, 13};
    OwnerOnlyFile.replace(file, content);
    assertArrayEquals(content, Files.readAllBytes(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (var listing = Files.list(dir)) {
      assertEquals("no temporary file left", 1, listing.count());
    }
  }

  @Test
  public void aFailedReplaceKeepsTheOldFileAndNoTemporaryFile() throws Exception {
    Path dir = Files.createTempDirectory("edge-replace");
    Path target = Files.createDirectory(dir.resolve("busy"));
    Files.writeString(target.resolve("inside"), "x");
    try {
      OwnerOnlyFile.replace(target, new byte[] {1});
      fail("a non-empty directory cannot be replaced");
    } catch (IOException expected) {
      // the move failed
    }
    assertTrue(Files.isDirectory(target));
    try (var listing = Files.list(dir)) {
      assertEquals("no temporary file left", 1, listing.count());
    }
  }

  @Test
  public void temporaryFilesAreRecognised() throws Exception {
    Path dir = Files.createTempDirectory("edge-replace");
    Path file = dir.resolve("meta.json");
    OwnerOnlyFile.replace(file, new byte[] {1});
    assertFalse(OwnerOnlyFile.isTemporary(file));
    assertTrue(OwnerOnlyFile.isTemporary(dir.resolve(".meta.json-123456.tmp")));
    assertFalse(OwnerOnlyFile.isTemporary(dir.resolve("meta.json.tmp")));
  }
}
