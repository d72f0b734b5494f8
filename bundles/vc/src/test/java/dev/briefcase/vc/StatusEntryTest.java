package dev.briefcase.vc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.Test;

public class StatusEntryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s.replace('\'', '"'));
  }

  private static String entry(String members) {
    return "{'type':'BitstringStatusListEntry','statusPurpose':'revocation',"
        + "'statusListCredential':'https://p.example/status/revocation'"
        + (members.isEmpty() ? "" : "," + members)
        + "}";
  }

  @Test
  public void topLevelArrayGivesEveryEntry() throws Exception {
    List<StatusEntry> e =
        StatusEntry.fromPayload(
            json(
                "{'credentialStatus':["
                    + entry("'statusListIndex':'7'")
                    + ",{'type':'BitstringStatusListEntry','statusPurpose':'suspension',"
                    + "'statusListIndex':'0','statusSize':2,"
                    + "'statusListCredential':'http://127.0.0.1:9099/status/suspension'}]}"));
    assertEquals(2, e.size());
    assertEquals(
        new StatusEntry(null, "revocation", 7, "https://p.example/status/revocation", 1), e.get(0));
    assertEquals("suspension", e.get(1).statusPurpose());
    assertEquals(2, e.get(1).statusSize());
  }

  @Test
  public void objectUnderVcIsRead() throws Exception {
    List<StatusEntry> e =
        StatusEntry.fromPayload(
            json("{'vc':{'credentialStatus':" + entry("'statusListIndex':'131071'") + "}}"));
    assertEquals(131071, e.get(0).statusListIndex());
    assertTrue(StatusEntry.fromPayload(json("{'vc':{}}")).isEmpty());
  }

  @Test
  public void toJsonRoundTrips() throws Exception {
    StatusEntry e = StatusEntry.of("urn:x", "suspension", 5, "https://p.example/s", 4);
    assertEquals(e, StatusEntry.fromJson(JSON.valueToTree(e.toJson())));
  }

  @Test
  public void malformedEntriesAreInvalid() throws Exception {
    String[] bad = {
      "{'credentialStatus':[]}",
      "{'credentialStatus':'x'}",
      "{'credentialStatus':" + entry("'statusListIndex':7") + "}", // a number, not a string
      "{'credentialStatus':" + entry("'statusListIndex':'-1'") + "}",
      "{'credentialStatus':" + entry("'statusListIndex':'07'") + "}",
      "{'credentialStatus':" + entry("'statusListIndex':'1e3'") + "}",
      "{'credentialStatus':" + entry("'statusListIndex':'99999999999'") + "}",
      "{'credentialStatus':" + entry("'statusListIndex':'1','statusSize':0") + "}",
      "{'credentialStatus':" + entry("'statusListIndex':'1','statusSize':65") + "}",
      "{'credentialStatus':" + entry("'statusListIndex':'1','statusSize':'2'") + "}",
      "{'credentialStatus':" + entry("'statusListIndex':'1','statusSize':1.5") + "}",
      "{'credentialStatus':{'type':'StatusList2021Entry','statusPurpose':'revocation',"
          + "'statusListIndex':'1','statusListCredential':'https://p.example/s'}}",
      "{'credentialStatus':{'type':'BitstringStatusListEntry',"
          + "'statusListIndex':'1','statusListCredential':'https://p.example/s'}}",
      "{'credentialStatus':[" + entry("'statusListIndex':'1'") + ",{'type':'x'}]}",
      "{'credentialStatus':[" + ("" + entry("'statusListIndex':'1'") + ",").repeat(8) + "{}]}",
    };
    for (String s : bad) {
      VcException e = assertThrows(VcException.class, () -> StatusEntry.fromPayload(json(s)));
      assertEquals(s, "invalid_credential_status", e.code());
    }
  }

  @Test
  public void statusListUrlMustBeHttpsOrLoopbackHttp() throws Exception {
    for (String ok :
        new String[] {
          "https://p.example/s", "http://127.0.0.1:9099/s", "http://localhost/s", "http://[::1]:1/s"
        }) {
      StatusEntry.of(null, "revocation", 0, ok, 1);
    }
    for (String bad :
        new String[] {
          "http://p.example/s",
          "http://127.0.0.1.evil.example/s",
          "http://0x7f000001/s",
          "https://user:pw@p.example/s",
          "https://p.example/s#frag",
          "ftp://p.example/s",
          "file:///etc/passwd",
          "/status/revocation",
          "https:opaque",
          "not a url",
          "",
        }) {
      VcException e =
          assertThrows(VcException.class, () -> StatusEntry.of(null, "revocation", 0, bad, 1));
      assertEquals(bad, "invalid_credential_status", e.code());
    }
  }
}
