package dev.briefcase.itests.kernel;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.tools.ToolCallService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * The agent boundary (ARCHITECTURE.md, Processes): the installed gateway bundle imports only the
 * gateway API and infrastructure packages — never secrets, signers, payment, store, receipts,
 * policy, budgets, approvals or connectors — and the agent-facing listener serves {@code /mcp} and
 * no admin route.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GatewayBoundaryIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "dev.briefcase.gateway.mcp";

  @Inject BundleContext context;
  @Inject ToolCallService tools;

  @Configuration
  public Option[] config() {
    // Pax Exam applies no feature configurations: start Felix HTTP from framework properties on a
    // random loopback port instead of waiting for the org.apache.felix.http configuration, named
    // like the agent listener of features/core.json (the only one the MCP gateway serves on).
    return OptionUtils.combine(
        RuntimeOptions.core(),
        frameworkProperty("org.apache.felix.http.require.config").value("false"),
        frameworkProperty("org.apache.felix.http.name").value("briefcase-mcp"),
        frameworkProperty("org.apache.felix.http.host").value("127.0.0.1"),
        frameworkProperty("org.osgi.service.http.port").value("0"));
  }

  /** Whether the gateway bundle may import this package. */
  static boolean allowed(String pkg) {
    return pkg.equals("dev.briefcase.tools")
        // the strict-profile check: one pure function over a framework property, no service
        || pkg.equals("dev.briefcase.profile")
        || pkg.equals("jakarta.servlet")
        || pkg.equals("jakarta.servlet.http")
        || pkg.startsWith("org.osgi.")
        || pkg.startsWith("com.fasterxml.jackson.")
        || pkg.equals("org.slf4j")
        || pkg.startsWith("java.");
  }

  @Test
  public void gatewayImportsOnlyTheGatewayApi() {
    Bundle gateway = bundle(GATEWAY);
    assertEquals("gateway not active", Bundle.ACTIVE, gateway.getState());
    String header = gateway.getHeaders().get("Import-Package");
    assertNotNull("no Import-Package", header);
    List<String> imports = packages(header);
    assertTrue(imports.toString(), imports.contains("dev.briefcase.tools"));
    for (String pkg : imports) {
      assertTrue("the gateway must not import " + pkg, allowed(pkg));
    }
    assertNull("Require-Bundle", gateway.getHeaders().get("Require-Bundle"));
    assertNull("DynamicImport-Package", gateway.getHeaders().get("DynamicImport-Package"));
    String exports = gateway.getHeaders().get("Export-Package");
    assertTrue("the gateway exports " + exports, exports == null || exports.isBlank());

    // what the framework actually wired, not only what the manifest asks for
    BundleWiring wiring = gateway.adapt(BundleWiring.class);
    int wires = 0;
    for (BundleWire wire : wiring.getRequiredWires("osgi.wiring.package")) {
      String pkg = (String) wire.getCapability().getAttributes().get("osgi.wiring.package");
      assertTrue("the gateway is wired to " + pkg, allowed(pkg));
      wires++;
    }
    assertTrue("no package wires", wires > 0);
  }

  @Test
  public void agentListenerServesMcpAndNoAdminRoute() throws Exception {
    URI mcp = URI.create(mcpUrl());
    assertEquals("127.0.0.1", mcp.getHost());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    for (String path :
        List.of(
            "/v1/tools",
            "/v1/tools/call",
            "/v1/approvals",
            "/v1/receipts",
            "/v1/budgets",
            "/health",
            "/ready",
            "/openapi.json",
            "/",
            "/mcp/extra")) {
      URI uri = mcp.resolve(path);
      // a fresh client per path: the gateway may close a connection after a 404 to a POST whose
      // body it did not read, and a pooled connection reused at that moment ends in EOF
      http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> get =
          http.send(
              HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals("GET " + path, 404, get.statusCode());
      assertFalse("Server header on " + path, get.headers().firstValue("Server").isPresent());
      HttpResponse<String> post =
          http.send(
              HttpRequest.newBuilder(uri)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"call\":{\"tool_id\":\"echo\"}}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals("POST " + path, 404, post.statusCode());
    }

    // /mcp answers MCP, and reaches the kernel (on a connection the 404s above never used)
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // the bearer token is required on loopback too (SPEC §10 Δ)
    String token =
        Files.readString(Path.of(context.getProperty("briefcase.data.dir")).resolve("mcp_token"))
            .strip();
    HttpResponse<String> anonymous =
        post(http, mcp, null, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    assertEquals(anonymous.body(), 401, anonymous.statusCode());
    HttpResponse<String> init =
        post(
            http,
            mcp,
            token,
            null,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"itest\",\"version\":\"1\"}}}");
    assertEquals(init.body(), 200, init.statusCode());
    assertFalse(init.headers().firstValue("Server").isPresent());
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertEquals("2025-11-25", JSON.readTree(init.body()).at("/result/protocolVersion").asText());
    HttpResponse<String> echo =
        post(
            http,
            mcp,
            token,
            session,
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                + "\"name\":\"echo\",\"arguments\":{\"text\":\"boundary\"}}}");
    JsonNode result = JSON.readTree(echo.body()).get("result");
    assertNotNull(echo.body(), result);
    assertFalse(echo.body(), result.get("isError").asBoolean());
    assertEquals("boundary", result.at("/structuredContent/echo").asText());
    assertTrue(result.at("/_meta/provenance/receipt_id").asLong() > 0);
  }

  private static HttpResponse<String> post(
      HttpClient http, URI mcp, String token, String session, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(mcp)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Waits (20 s at most) for the gateway to publish {@code <data_dir>/mcp.url}. */
  private String mcpUrl() throws Exception {
    Path file = Path.of(context.getProperty("briefcase.data.dir")).resolve("mcp.url");
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.isRegularFile(file)) {
        String url = Files.readString(file).strip();
        if (!url.isEmpty()) {
          return url;
        }
      }
      Thread.sleep(50);
    }
    fail("the gateway did not write " + file);
    return null;
  }

  private Bundle bundle(String symbolicName) {
    for (Bundle b : context.getBundles()) {
      if (symbolicName.equals(b.getSymbolicName())) {
        return b;
      }
    }
    fail("bundle " + symbolicName + " is not installed");
    return null;
  }

  /** The package names of a manifest header, ignoring attributes and directives. */
  static List<String> packages(String header) {
    List<String> out = new ArrayList<>();
    StringBuilder clause = new StringBuilder();
    boolean quoted = false;
    for (char c : (header + ",").toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
      }
      if (c == ',' && !quoted) {
        String name = clause.toString().split(";", 2)[0].trim();
        if (!name.isEmpty()) {
          out.add(name);
        }
        clause.setLength(0);
      } else {
        clause.append(c);
      }
    }
    return out;
  }
}
