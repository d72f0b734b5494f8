package dev.briefcase.connector.http.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Before;
import org.junit.Test;

/** Each problem of a tool file has its code, and a connector with such a file offers nothing. */
public class ToolsFileTest {
  private static final String SCHEMA =
      "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},"
          + "\"required\":[\"id\"],\"additionalProperties\":false}";
  private static final String GOOD_TOOL =
      "{\"id\":\"ok\",\"method\":\"GET\",\"path\":\"/items/{id}\",\"input_schema\":" + SCHEMA + "}";

  private Path dir;

  @Before
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("tools-file");
  }

  private String file(String baseUrl, String... tools) {
    return "{\"base_url\":\"" + baseUrl + "\",\"tools\":[" + String.join(",", tools) + "]}";
  }

  /**
   * The code of a refused file; also checks the connector then offers no tool and logs the code.
   */
  private String code(String text, boolean devLoopback) {
    Path path = Harness.write(dir, "tools.json", text);
    try (Harness.LogCapture log = new Harness.LogCapture()) {
      HttpConnector connector = Harness.connector(path, devLoopback);
      assertEquals("a refused file offers nothing", List.of(), connector.tools());
      String logged = log.text();
      try {
        ToolsFile.load(path.toString(), devLoopback);
        fail("expected a refusal of " + text);
        return null;
      } catch (ToolsFileException e) {
        assertTrue(e.getMessage().startsWith(e.code() + ": "));
        assertTrue(
            "one line with the code: " + logged, logged.contains("offers no tools: " + e.code()));
        return e.code();
      }
    }
  }

  private String code(String text) {
    return code(text, false);
  }

  private String tool(String members) {
    return "{\"id\":\"t\",\"method\":\"GET\",\"path\":\"/items/{id}\",\"input_schema\":"
        + SCHEMA
        + (members.isEmpty() ? "" : "," + members)
        + "}";
  }

  @Test
  public void aGoodFileLoads() {
    List<HttpTool> tools =
        ToolsFile.load(
            Harness.write(dir, "ok.json", file("https://api.example.com/v1/", GOOD_TOOL))
                .toString(),
            false);
    assertEquals(1, tools.size());
    assertEquals("https://api.example.com/v1", tools.get(0).base().prefix());
  }

  @Test
  public void anInputSchemaOverOneMebibyteIsRefused() {
    String big = "x".repeat((int) SchemaSize.MAX_INPUT_SCHEMA_BYTES);
    String over =
        "{\"id\":\"t\",\"method\":\"GET\",\"path\":\"/items\",\"input_schema\":"
            + "{\"type\":\"object\",\"description\":\""
            + big
            + "\"}}";
    assertEquals(
        ToolsFileException.INPUT_SCHEMA_TOO_LARGE, code(file("https://api.example.com", over)));
    String under = over.replace(big, big.substring(1024));
    Path path = Harness.write(dir, "under.json", file("https://api.example.com", under));
    assertEquals(1, ToolsFile.load(path.toString(), false).size());
  }

  @Test
  public void unreadableFiles() {
    assertEquals(ToolsFileException.UNREADABLE, code2("relative/tools.json"));
    assertEquals(ToolsFileException.UNREADABLE, code2(dir.resolve("missing.json").toString()));
    assertEquals(ToolsFileException.UNREADABLE, code2(""));
  }

  private String code2(String path) {
    HttpConnector connector =
        new HttpConnector(
            Harness.EGRESS,
            dev.briefcase.testing.Configs.of(
                HttpConnector.Config.class,
                java.util.Map.of("connector_id", "x", "tools_file", path)),
            null);
    assertEquals(List.of(), connector.tools());
    try {
      ToolsFile.load(path, false);
      fail();
      return null;
    } catch (ToolsFileException e) {
      return e.code();
    }
  }

  @Test
  public void malformedFiles() {
    assertEquals(ToolsFileException.INVALID, code("{not json"));
    assertEquals(ToolsFileException.INVALID, code("[]"));
    assertEquals(ToolsFileException.INVALID, code("{}"));
    assertEquals(
        ToolsFileException.INVALID,
        code("{\"base_url\":\"https://a.example\",\"tools\":[],\"tols\":1}"));
    assertEquals(
        ToolsFileException.INVALID, code(file("https://a.example", tool("\"allow_all\":true"))));
    assertEquals(
        ToolsFileException.INVALID, code(file("https://a.example", tool("\"query\":\"id\""))));
    assertEquals(
        ToolsFileException.INVALID,
        code(file("https://a.example", tool("\"cost_micro_usd\":1.5"))));
    // a duplicate member could hide a restriction behind a second value
    assertEquals(
        ToolsFileException.INVALID,
        code(
            "{\"base_url\":\"https://a.example\",\"base_url\":\"https://b.example\",\"tools\":[]}"));
  }

  @Test
  public void badBaseUrls() {
    for (String bad :
        List.of(
            "http://api.example.com",
            "https://user:pw@api.example.com",
            "https://api.example.com/v1?key=1",
            "https://api.example.com/v1#x",
            "https://api.example.com/a/../b",
            "https://api.example.com/%2e%2e",
            "ftp://api.example.com",
            "https://api.example.com/v\u00e9",
            "https://api.example.com/v\u0100",
            "/relative",
            "")) {
      assertEquals(bad, ToolsFileException.BASE_URL_INVALID, code(file(bad, GOOD_TOOL)));
    }
    // http only to a loopback host, and only with dev_loopback
    assertEquals(
        ToolsFileException.BASE_URL_INVALID, code(file("http://127.0.0.1:8080", GOOD_TOOL)));
    assertEquals(
        ToolsFileException.BASE_URL_INVALID, code(file("http://api.example.com", GOOD_TOOL), true));
    assertEquals(
        1,
        ToolsFile.load(
                Harness.write(dir, "dev.json", file("http://127.0.0.1:8080", GOOD_TOOL)).toString(),
                true)
            .size());
  }

  @Test
  public void devLoopbackIsRefusedInTheGaProfile() {
    Path path = Harness.write(dir, "dev.json", file("http://127.0.0.1:8080", GOOD_TOOL));
    assertEquals(1, Harness.connector(path, true, null).tools().size());
    assertEquals(1, Harness.connector(path, true, "staging").tools().size());
    for (String ga : List.of("ga", " GA", "Ga\n")) {
      try (Harness.LogCapture log = new Harness.LogCapture()) {
        assertEquals(ga, List.of(), Harness.connector(path, true, ga).tools());
        assertTrue(log.text(), log.text().contains("dev_loopback is refused in the strict (ga)"));
        assertTrue(log.text(), log.text().contains("offers no tools: base_url_invalid"));
      }
      assertTrue(HttpConnector.loopbackDevMode(true, "reference", "x"));
      assertFalse(HttpConnector.loopbackDevMode(true, ga, "x"));
    }
  }

  @Test
  public void badTools() {
    String invalid = ToolsFileException.TOOL_INVALID;
    assertEquals(
        invalid,
        code(file("https://a.example", tool("\"id\":\"has space\"").replace("\"id\":\"t\",", ""))));
    assertEquals(invalid, code(file("https://a.example", tool("").replace("GET", "TRACE"))));
    assertEquals(
        invalid, code(file("https://a.example", tool("").replace("/items/{id}", "items/{id}"))));
    assertEquals(
        invalid,
        code(file("https://a.example", tool("").replace("/items/{id}", "/items/../{id}"))));
    assertEquals(
        invalid,
        code(file("https://a.example", tool("").replace("/items/{id}", "/items/{id}?x=1"))));
    assertEquals(
        invalid,
        code(file("https://a.example", tool("").replace("/items/{id}", "/items/%2e/{id}"))));
    assertEquals(
        invalid, code(file("https://a.example", tool("").replace("/items/{id}", "/items/x{id}"))));
    // a path parameter the schema does not require
    assertEquals(
        invalid,
        code(file("https://a.example", tool("").replace("/items/{id}", "/items/{other}"))));
    assertEquals(invalid, code(file("https://a.example", tool("\"query\":[\"nope\"]"))));
    assertEquals(invalid, code(file("https://a.example", tool("\"query\":[\"id\"]"))));
    assertEquals(invalid, code(file("https://a.example", tool("\"max_response_bytes\":0"))));
    assertEquals(invalid, code(file("https://a.example", tool("\"max_response_bytes\":99999999"))));
    assertEquals(invalid, code(file("https://a.example", tool("\"cost_micro_usd\":-1"))));
    assertEquals(
        invalid, code(file("https://a.example", tool("").replace(SCHEMA, "{\"type\":\"array\"}"))));
    assertEquals(
        ToolsFileException.INVALID,
        code(file("https://a.example", tool("").replace(",\"input_schema\":" + SCHEMA, ""))));
  }

  @Test
  public void duplicateIdsRefuseTheWholeFile() {
    assertEquals(
        ToolsFileException.TOOL_DUPLICATE, code(file("https://a.example", GOOD_TOOL, GOOD_TOOL)));
  }

  @Test
  public void badCredentialNeeds() {
    String bad = ToolsFileException.CREDENTIAL_INVALID;
    assertEquals(bad, code(file("https://a.example", tool("\"credential\":\"oauth\""))));
    assertEquals(
        bad, code(file("https://a.example", tool("\"credential\":{\"strategy\":\"oauth\"}"))));
    assertEquals(
        bad,
        code(
            file(
                "https://a.example",
                tool("\"credential\":{\"strategy\":\"OAuth!\",\"reference\":\"gh\"}"))));
    assertEquals(
        bad,
        code(
            file(
                "https://a.example",
                tool("\"credential\":{\"strategy\":\"oauth\",\"reference\":\"../x\"}"))));
    assertEquals(
        bad,
        code(
            file(
                "https://a.example",
                tool(
                    "\"credential\":{\"strategy\":\"api_key\",\"reference\":\"k\",\"options\":{\"header\":1}}"))));
    assertEquals(
        ToolsFileException.INVALID,
        code(
            file(
                "https://a.example",
                tool(
                    "\"credential\":{\"strategy\":\"api_key\",\"reference\":\"k\",\"secret\":\"x\"}"))));
  }

  @Test
  public void oneBadToolRefusesTheOthersToo() {
    String text =
        file(
            "https://a.example",
            GOOD_TOOL,
            tool("\"method\":\"BREW\"").replace("\"method\":\"GET\",", ""));
    assertEquals(ToolsFileException.TOOL_INVALID, code(text));
  }
}
