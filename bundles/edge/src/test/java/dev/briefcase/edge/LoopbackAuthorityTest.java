package dev.briefcase.edge;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

/** The DNS-rebinding allow-list of the loopback listeners. */
public class LoopbackAuthorityTest {

  @Test
  public void hostMustBeALoopbackNameWithTheBoundPort() {
    for (String ok :
        List.of(
            "127.0.0.1:41234",
            "localhost:41234",
            "LocalHost:41234",
            "LOCALHOST:41234",
            "127.9.8.7:41234",
            "[::1]:41234")) {
      assertTrue(ok, LoopbackAuthority.host(ok, 41234));
    }
    assertTrue("HTTP/1.0 without Host", LoopbackAuthority.host(null, 41234));
    for (String bad :
        List.of(
            "evil.example:41234",
            "evil.example",
            "127.0.0.1",
            "localhost:41235",
            "127.0.0.1.nip.io:41234",
            "localhost.evil.example:41234",
            "localhost.evil:41234",
            "[::1]",
            "[::2]:41234",
            "[fe80::1]:41234",
            "127.0.0.256:41234",
            "127.0.0.1:041234",
            "127.0.0.1:41234:1",
            "127.0.0.1:",
            "")) {
      assertFalse(bad, LoopbackAuthority.host(bad, 41234));
    }
  }

  @Test
  public void originMustBeHttpOnALoopbackNameWithThePort() {
    for (String ok :
        List.of("http://127.0.0.1:8766", "http://localhost:8766/", "http://[::1]:8766")) {
      assertTrue(ok, LoopbackAuthority.origin(ok, 8766));
    }
    for (String bad :
        List.of(
            "https://127.0.0.1:8766",
            "http://127.0.0.1",
            "http://127.0.0.1:8767",
            "http://evil.example:8766",
            "http://127.0.0.1:8766/path",
            "null",
            "not a uri")) {
      assertFalse(bad, LoopbackAuthority.origin(bad, 8766));
    }
    assertFalse(LoopbackAuthority.origin(null, 8766));
  }

  @Test
  public void loopbackNames() {
    for (String h : List.of("localhost", "127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1")) {
      assertTrue(h, LoopbackAuthority.isLoopbackName(h));
    }
    for (String h :
        List.of(
            "127.0.0.1.evil",
            "127.0.0",
            "127.0.0.256",
            "localhost.evil",
            "10.0.0.1",
            "127.\u0660.0.1",
            "")) {
      assertFalse(h, LoopbackAuthority.isLoopbackName(h));
    }
  }
}
