package dev.briefcase.sandbox.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.connector.SandboxViolationException;
import dev.briefcase.egress.internal.HttpEgressClient;
import dev.briefcase.tools.ToolManifest;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** {@code http_request} through the real egress client, on loopback only. */
public class RealEgressTest {

  private HttpServer server;
  private final AtomicInteger hits = new AtomicInteger();
  private final HttpEgressClient client =
      new HttpEgressClient(
          new HttpEgressClient.Config() {
            @Override
            public long max_response_bytes_ceiling() {
              return 4L << 20;
            }

            @Override
            public long max_total_timeout_millis() {
              return 60_000L;
            }

            @Override
            public String dns_server() {
              return "";
            }

            @Override
            public Class<? extends Annotation> annotationType() {
              return HttpEgressClient.Config.class;
            }
          },
          null);

  @Before
  public void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/api/quote",
        ex -> {
          hits.incrementAndGet();
          byte[] body = "{\"price\":7}".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
  }

  @After
  public void stop() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/quote?symbol=X";
  }

  private static ToolManifest manifest(String host) {
    return new ToolManifest(
        "quote", "wasm", List.of(host), List.of("/api/quote"), List.of(), 1 << 20);
  }

  @Test
  public void loopbackDevModeReachesTheServer() throws Exception {
    WasmTool t =
        new WasmTool(
            Wat.compile(WasmToolTest.hostCall("http_request", "{\"url\":\"" + url() + "\"}")),
            manifest("127.0.0.1"),
            SandboxLimits.defaults().withDevLoopback(true),
            client);
    JsonNode r = new ObjectMapper().readTree(t.run("{}"));
    assertTrue(r.path("ok").asBoolean());
    assertEquals("{\"price\":7}", r.path("body").asText());
    assertEquals(1, hits.get());
  }

  @Test
  public void withoutDevModeLoopbackIsRefusedBeforeAnyConnection() throws Exception {
    WasmTool t =
        new WasmTool(
            Wat.compile(WasmToolTest.hostCall("http_request", "{\"url\":\"" + url() + "\"}")),
            manifest("127.0.0.1"),
            SandboxLimits.defaults(),
            client);
    try {
      t.run("{}");
      fail("expected a violation");
    } catch (SandboxViolationException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("egress denied: egress_"));
    }
    assertEquals(0, hits.get());
  }

  @Test
  public void metadataAddressIsRefusedEvenWhenTheManifestAllowsIt() throws Exception {
    WasmTool t =
        new WasmTool(
            Wat.compile(
                WasmToolTest.hostCall(
                    "http_request", "{\"url\":\"https://169.254.169.254/api/quote\"}")),
            manifest("169.254.169.254"),
            SandboxLimits.defaults(),
            client);
    try {
      t.run("{}");
      fail("expected a violation");
    } catch (SandboxViolationException e) {
      assertEquals("egress denied: egress_address_refused", e.getMessage());
    }
  }
}
