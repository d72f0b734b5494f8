package dev.briefcase.edge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.Test;

/** Listener URL files: a stale file removed, written 0600 while serving, removed after. */
public class ListenerUrlFileTest {

  @Test
  public void staleFileIsRemovedAndAPublishedUrlWrittenPrivately() throws Exception {
    Path dir = Files.createTempDirectory("edge-url");
    Path file = dir.resolve("mcp.url");
    Files.writeString(file, "http://127.0.0.1:1/mcp\n");
    ListenerUrlFile url = new ListenerUrlFile(file);
    assertFalse("a file left by a crashed kernel is removed", Files.exists(file));
    assertTrue(url.publish("http://127.0.0.1:8080/mcp"));
    assertEquals("http://127.0.0.1:8080/mcp\n", Files.readString(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertFalse("the same URL again writes nothing", url.publish("http://127.0.0.1:8080/mcp"));
    assertTrue(url.withdraw());
    assertFalse(Files.exists(file));
    assertFalse(url.withdraw());
    try (var listing = Files.list(dir)) {
      assertEquals("no temporary file left", 0, listing.count());
    }
  }

  @Test
  public void withoutAFileOnlyTheUrlIsRemembered() throws Exception {
    ListenerUrlFile url = new ListenerUrlFile(null);
    assertNull(url.file());
    assertTrue(url.publish("http://127.0.0.1:1/"));
    assertFalse(url.publish("http://127.0.0.1:1/"));
    assertTrue(url.withdraw());
  }

  @Test
  public void endpointsFromEveryPropertyShape() {
    assertEquals(List.of("http://a/"), ListenerUrlFile.endpoints("http://a/"));
    assertEquals(
        List.of("http://a/", "http://b/"),
        ListenerUrlFile.endpoints(new String[] {"http://a/", "http://b/"}));
    assertEquals(List.of("http://c/"), ListenerUrlFile.endpoints(Set.of("http://c/")));
    assertEquals(List.of(), ListenerUrlFile.endpoints(42));
    assertEquals(List.of(), ListenerUrlFile.endpoints(null));
  }

  @Test
  public void preferredEndpointIsIpv4WithoutZone() {
    assertEquals(
        "http://10.0.0.2:80/",
        ListenerUrlFile.preferred(List.of("http://[fd00::2%eth0]:80/", "http://10.0.0.2:80/")));
    assertEquals(
        "http://[fd00::2]:80/", ListenerUrlFile.preferred(List.of("http://[fd00::2%eth0]:80/")));
    assertNull(ListenerUrlFile.preferred(List.of()));
  }

  @Test
  public void pathIsJoinedWithOneSlash() {
    assertEquals("http://h:1/mcp", ListenerUrlFile.resolve("http://h:1/", "/mcp"));
    assertEquals("http://h:1/mcp", ListenerUrlFile.resolve("http://h:1", "mcp"));
    assertEquals(
        "http://h:1/system/console", ListenerUrlFile.resolve("http://h:1/", "/system/console"));
  }
}
