package dev.briefcase.admin.api.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.Test;

/** The admin listener's Host check and its token file, without a framework. */
public class ListenerGuardTest {

  @Test
  public void hostMustBeALoopbackNameWithTheBoundPort() {
    HostCheck check = new HostCheck(41234);
    for (String ok :
        List.of(
            "127.0.0.1:41234",
            "localhost:41234",
            "LocalHost:41234",
            "127.9.8.7:41234",
            "[::1]:41234")) {
      assertTrue(ok, check.allowed(ok));
    }
    assertTrue("HTTP/1.0 without Host", check.allowed(null));
    for (String bad :
        List.of(
            "evil.example:41234",
            "evil.example",
            "127.0.0.1",
            "localhost:41235",
            "127.0.0.1.nip.io:41234",
            "localhost.evil.example:41234",
            "[::1]",
            "[fe80::1]:41234",
            "127.0.0.256:41234",
            "127.0.0.1:041234",
            "127.0.0.1:",
            "")) {
      assertFalse(bad, check.allowed(bad));
    }
  }

  @Test
  public void tokenIsCreatedPrivateAndAtomically() throws Exception {
    Path dir = Files.createTempDirectory("admin-token");
    Path file = dir.resolve("auth_token");
    String first = new String(TokenFile.loadOrCreate(file).reveal(), StandardCharsets.US_ASCII);
    assertEquals(43, first.length());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String again = new String(TokenFile.loadOrCreate(file).reveal(), StandardCharsets.US_ASCII);
    assertEquals("an existing token is kept", first, again);
    assertFalse(
        "an existing file is never replaced", TokenFile.createAtomically(file, new byte[1]));
    try (var listing = Files.list(dir)) {
      assertEquals("no temporary file left", 1, listing.count());
    }
  }

  @Test
  public void aTokenFileOthersCanReadIsRefused() throws Exception {
    Path file = Files.createTempDirectory("admin-token").resolve("auth_token");
    Files.writeString(file, "x".repeat(43) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try {
      TokenFile.loadOrCreate(file);
      fail("a 0644 token was used");
    } catch (IOException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("token_file_permissions: " + file));
    }
    Files.delete(file);
    Files.createSymbolicLink(file, Files.createTempFile("elsewhere", ""));
    try {
      TokenFile.loadOrCreate(file);
      fail("a symbolic link was used");
    } catch (IOException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("token_file_permissions: "));
    }
  }
}
