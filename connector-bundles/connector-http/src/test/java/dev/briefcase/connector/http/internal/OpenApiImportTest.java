package dev.briefcase.connector.http.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.sun.net.httpserver.HttpServer;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.testing.Upstream;
import dev.briefcase.tools.ToolSpec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Before;
import org.junit.Test;

/** OpenAPI operations become tools; references stay inside the document. */
public class OpenApiImportTest {
  static final String PETSTORE =
      """
      { "openapi": "3.0.3",
        "info": {"title": "pets", "version": "1"},
        "servers": [{"url": "https://petstore.example.com/api"}],
        "paths": {
          "/pets": {
            "get": { "operationId": "listPets", "summary": "List pets",
              "parameters": [ {"$ref": "#/components/parameters/Limit"},
                              {"name": "tag", "in": "query", "schema": {"type": "string"}},
                              {"name": "X-Trace", "in": "header", "schema": {"type": "string"}} ] },
            "post": { "operationId": "createPet", "summary": "Add a pet",
              "description": "Adds a pet to the store.",
              "requestBody": {"$ref": "#/components/requestBodies/NewPet"} } },
          "/pets/{petId}": {
            "parameters": [ {"name": "petId", "in": "path", "required": true,
                             "description": "The pet's id", "schema": {"type": "integer"}} ],
            "get": { "operationId": "getPet" },
            "delete": { "operationId": "deletePet",
              "parameters": [ {"name": "X-Key", "in": "header", "required": true} ] } } },
        "components": {
          "parameters": {
            "Limit": {"name": "limit", "in": "query", "schema": {"$ref": "#/components/schemas/Limit"}} },
          "requestBodies": {
            "NewPet": {"required": true, "content": {"application/json": {
              "schema": {"$ref": "#/components/schemas/NewPet"}}}} },
          "schemas": {
            "Limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "Owner": {"$id": "https://evil.example/owner", "type": "object",
                      "properties": {"name": {"type": "string"}}},
            "NewPet": {"type": "object", "required": ["name"], "properties": {
              "name": {"type": "string"}, "owner": {"$ref": "#/components/schemas/Owner"}}} } } }
      """;

  private Path dir;

  @Before
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("openapi");
  }

  private List<HttpTool> load(String document, String name, String baseUrl, String... operations) {
    Path doc = Harness.write(dir, name, document);
    return OpenApiImport.load(doc.toString(), List.of(operations), baseUrl, true, null);
  }

  private String code(String document, String... operations) {
    try {
      load(document, "doc.json", null, operations);
      fail("expected a refusal");
      return null;
    } catch (ToolsFileException e) {
      return e.code();
    }
  }

  private static Map<String, HttpTool> byId(List<HttpTool> tools) {
    Map<String, HttpTool> out = new HashMap<>();
    tools.forEach(t -> out.put(t.spec().id(), t));
    return out;
  }

  @Test
  public void operationsBecomeToolsWithReferencesInlined() throws Exception {
    Map<String, HttpTool> tools =
        byId(load(PETSTORE, "pets.json", null, "listPets", "createPet", "getPet"));
    assertEquals(3, tools.size());

    HttpTool list = tools.get("listPets");
    assertEquals("GET", list.method());
    assertEquals(List.of("limit", "tag"), list.query());
    assertEquals("https://petstore.example.com/api", list.base().prefix());
    assertEquals("List pets", list.spec().name());
    assertEquals(ToolSpec.READ, list.spec().category());
    Map<String, Object> listSchema = list.spec().inputSchema();
    assertEquals(false, listSchema.get("additionalProperties"));
    assertEquals(
        Map.of("type", "integer", "minimum", 1, "maximum", 100),
        ((Map<?, ?>) listSchema.get("properties")).get("limit"));
    assertFalse(
        "optional header parameters are left out", listSchema.toString().contains("X-Trace"));

    HttpTool create = tools.get("createPet");
    assertEquals("POST", create.method());
    assertEquals("Adds a pet to the store.", create.spec().description());
    assertEquals(ToolSpec.WRITE, create.spec().category());
    Map<String, Object> createSchema = create.spec().inputSchema();
    assertEquals(List.of("name"), createSchema.get("required"));
    String text = ToolsFile.JSON.writeValueAsString(createSchema);
    assertFalse("no reference is left: " + text, text.contains("$ref"));
    assertFalse("no $id re-bases the schema: " + text, text.contains("$id"));
    assertTrue(text.contains("\"owner\":{\"type\":\"object\""));

    HttpTool get = tools.get("getPet");
    assertEquals(List.of("", "pets", "{petId}"), get.segments());
    assertEquals(List.of("petId"), get.spec().inputSchema().get("required"));
    assertEquals(
        Map.of("type", "integer", "description", "The pet's id"),
        ((Map<?, ?>) get.spec().inputSchema().get("properties")).get("petId"));
  }

  @Test
  public void yamlDocumentsImportToo() {
    String yaml =
        """
        openapi: 3.1.0
        info: {title: pets, version: "1"}
        paths:
          /pets/{petId}:
            get:
              operationId: getPet
              summary: One pet
              parameters:
                - {name: petId, in: path, required: true, schema: {$ref: '#/components/schemas/Id'}}
        components:
          schemas:
            Id: {type: string, maxLength: 64}
        """;
    List<HttpTool> tools = load(yaml, "pets.yaml", "https://api.example.com", "getPet");
    assertEquals("One pet", tools.get(0).spec().name());
    assertEquals(
        Map.of("type", "string", "maxLength", 64),
        ((Map<?, ?>) tools.get(0).spec().inputSchema().get("properties")).get("petId"));
  }

  @Test
  public void baseUrlOfTheFileWinsOverServers() {
    assertEquals(
        "https://other.example.com/v2",
        load(PETSTORE, "pets.json", "https://other.example.com/v2", "getPet")
            .get(0)
            .base()
            .prefix());
    String insecure =
        PETSTORE.replace("https://petstore.example.com/api", "http://petstore.example.com");
    assertEquals(ToolsFileException.BASE_URL_INVALID, code(insecure, "getPet"));
  }

  @Test
  public void unknownOperationsAndUnsupportedShapesAreRefused() {
    assertEquals(
        ToolsFileException.OPENAPI_UNKNOWN_OPERATION, code(PETSTORE, "getPet", "stealPets"));
    assertEquals(ToolsFileException.OPENAPI_INVALID, code(PETSTORE, "deletePet"));
    assertEquals(
        ToolsFileException.OPENAPI_INVALID, code("{\"swagger\":\"2.0\",\"paths\":{}}", "getPet"));
    assertEquals(ToolsFileException.OPENAPI_INVALID, code("{not json", "getPet"));
  }

  @Test
  public void aRemoteReferenceIsRefusedAndNeverFetched() throws Exception {
    AtomicInteger fetched = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          fetched.incrementAndGet();
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.start();
    try {
      String remote = "http://127.0.0.1:" + server.getAddress().getPort() + "/limit.json";
      assertEquals(
          ToolsFileException.OPENAPI_REMOTE_REF,
          code(PETSTORE.replace("#/components/schemas/Limit", remote), "listPets"));
      assertEquals(
          ToolsFileException.OPENAPI_REMOTE_REF,
          code(PETSTORE.replace("#/components/schemas/Limit", "other.json#/Limit"), "listPets"));
      assertEquals(
          ToolsFileException.OPENAPI_REMOTE_REF,
          code(PETSTORE.replace("#/components/requestBodies/NewPet", remote), "createPet"));
      assertEquals(0, fetched.get());
    } finally {
      server.stop(0);
    }
  }

  @Test
  public void danglingCyclicAndExplodingReferencesAreRefused() {
    assertEquals(
        ToolsFileException.OPENAPI_REF_INVALID,
        code(
            PETSTORE.replace("#/components/schemas/Limit", "#/components/schemas/Nope"),
            "listPets"));
    String cyclic =
        PETSTORE.replace(
            "\"Limit\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 100}",
            "\"Limit\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/components/schemas/Limit\"}}");
    assertEquals(ToolsFileException.OPENAPI_REF_INVALID, code(cyclic, "listPets"));
    // each level names the next twice: 2^18 copies if inlined naively, within the depth limit
    StringBuilder schemas = new StringBuilder("\"L18\": {\"type\": \"string\"}");
    for (int i = 17; i >= 0; i--) {
      schemas.append(
          ",\"L%d\": {\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/components/schemas/L%d\"}, \"b\": {\"$ref\": \"#/components/schemas/L%d\"}}}"
              .formatted(i, i + 1, i + 1));
    }
    String bomb =
        PETSTORE.replace(
            "\"Limit\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 100}",
            "\"Limit\": {\"$ref\": \"#/components/schemas/L0\"}," + schemas);
    assertEquals(ToolsFileException.OPENAPI_REF_INVALID, code(bomb, "listPets"));
  }

  @Test
  public void aLargeStringReferencedManyTimesIsRefusedBySize() {
    // 64 KiB named 20 times: a 64 KiB document whose schema would serialize to 1.25 MiB
    String big = "x".repeat(64 << 10);
    StringBuilder props = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      props
          .append(i == 0 ? "" : ",")
          .append("\"p%d\": {\"$ref\": \"#/components/schemas/D\"}".formatted(i));
    }
    String wide =
        PETSTORE.replace(
            "\"Limit\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 100}",
            "\"Limit\": {\"type\": \"object\", \"properties\": {"
                + props
                + "}},"
                + "\"D\": {\"type\": \"string\", \"description\": \""
                + big
                + "\"}");
    assertEquals(ToolsFileException.INPUT_SCHEMA_TOO_LARGE, code(wide, "listPets"));
    // the same string named 15 times (under 1 MiB) is accepted
    String fewer = wide.replaceAll(",\"p1[5-9]\": \\{[^}]*\\}", "");
    assertEquals(1, load(fewer, "fewer.json", null, "listPets").size());
  }

  @Test
  public void anImportedToolCallsTheApi() throws Exception {
    try (Upstream upstream = new Upstream()) {
      Path doc = Harness.write(dir, "pets.json", PETSTORE);
      String file =
          "{\"base_url\":\"%s/api\",\"openapi\":{\"document\":\"%s\",\"operations\":[\"getPet\",\"createPet\"]}}"
              .formatted(upstream.base(), doc);
      HttpConnector connector = Harness.connector(Harness.write(dir, "tools.json", file), true);
      assertEquals(2, connector.tools().size());
      assertNull(connector.tools().get(0).credential());
      ToolResult r =
          connector.execute(
              Harness.call(
                  "getPet",
                  Map.of("petId", 7),
                  Harness.manifest("getPet", 1 << 20, "/api"),
                  false,
                  null));
      assertEquals(200, ((Map<?, ?>) r.content()).get("status"));
      assertEquals("/api/pets/7", upstream.seen.get(0).rawPath());
    }
  }
}
