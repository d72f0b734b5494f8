package dev.briefcase.gateway.mcp.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class GuardTest {

  @Test
  public void hostHeaderWithoutPort() {
    assertEquals("127.0.0.1", Guard.hostOnly("127.0.0.1:8765"));
    assertEquals("::1", Guard.hostOnly("[::1]:8765"));
    assertEquals("::1", Guard.hostOnly("[::1]"));
    assertEquals("example.com", Guard.hostOnly("example.com"));
  }

  @Test
  public void addressLiteralsCompareByValue() {
    assertTrue(Guard.sameAddress("fd00::2", "fd00:0:0:0:0:0:0:2%eth0"));
    assertTrue(Guard.sameAddress("192.168.1.5", "192.168.1.5"));
    assertFalse(Guard.sameAddress("192.168.1.5", "192.168.1.6"));
    assertFalse(Guard.sameAddress("999.1.1.1", "999.1.1.1"));
    assertFalse(Guard.sameAddress("example.com", "example.com"));
  }

  @Test
  public void waitOverrideFromTheFrameworkProperty() {
    assertEquals(25, McpGateway.waitSeconds(25, null));
    assertEquals(0, McpGateway.waitSeconds(25, "0"));
    assertEquals(3, McpGateway.waitSeconds(25, " 3 "));
    assertEquals(25, McpGateway.waitSeconds(25, "soon"));
    assertEquals(600, McpGateway.waitSeconds(25, "100000"));
  }

  @Test
  public void tokenRequiredUnlessTheDevelopmentSettingOutsideGa() {
    assertTrue(McpGateway.requireToken("reference", null));
    assertTrue(McpGateway.requireToken("reference", "0"));
    assertFalse(McpGateway.requireToken("reference", "1"));
    assertFalse(McpGateway.requireToken("staging", "true"));
    assertTrue(McpGateway.requireToken("ga", "1"));
  }

  @Test
  public void aStrictProfileSpelledWithBlanksOrCapitalsStillRequiresTheToken() {
    String[] spellings = {" ga", "GA", "Ga ", "\tga\n"};
    for (String mode : spellings) {
      assertTrue(mode, McpGateway.requireToken(mode, "1"));
      assertTrue(mode, McpGateway.requireToken(mode, "true"));
    }
  }
}
