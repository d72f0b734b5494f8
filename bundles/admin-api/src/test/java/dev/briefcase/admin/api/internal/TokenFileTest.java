package dev.briefcase.admin.api.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.briefcase.secrets.Sensitive;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Test;

/**
 * The admin token file: made owner-only on first use, compared in constant time (the file rules
 * themselves are tested in bundles/edge, OwnerOnlyFileTest).
 */
public class TokenFileTest {

  @Test
  public void tokenIsCreatedPrivateAndKept() throws Exception {
    Path file = Files.createTempDirectory("admin-token").resolve("auth_token");
    String first = new String(TokenFile.loadOrCreate(file).reveal(), StandardCharsets.US_ASCII);
    assertEquals(43, first.length());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String again = new String(TokenFile.loadOrCreate(file).reveal(), StandardCharsets.US_ASCII);
    assertEquals("an existing token is kept", first, again);
  }

  @Test
  public void onlyTheExactBearerTokenMatches() {
    Sensitive<byte[]> token = Sensitive.of("t".repeat(43).getBytes(StandardCharsets.US_ASCII));
    assertTrue(TokenFile.matches(token, "Bearer " + "t".repeat(43)));
    assertFalse(TokenFile.matches(token, "Bearer " + "t".repeat(42)));
    assertFalse(TokenFile.matches(token, "Basic " + "t".repeat(43)));
    assertFalse(TokenFile.matches(token, null));
  }
}
