package dev.briefcase.runtime.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code briefcase provider check} without a real provider: base URL rules, usage exit codes, and a
 * hostile provider that echoes the admin secret, tokens and proofs back in its error codes, signs
 * its capabilities with a key it does not publish and sends an oversized answer. The report must
 * fail the right checks and quote none of those values.
 */
public class ContractKitTest {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String SECRET = "adminCanary-7d3f-secret";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ObjectMapper json = new ObjectMapper();
  private final Set<String> seenValues = ConcurrentHashMap.newKeySet();
  private HttpServer server;
  private String base;
  private KeyPair signing;
  private KeyPair published;

  @Before
  public void setUp() throws Exception {
    signing = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    published = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::hostile);
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @After
  public void tearDown() {
    server.stop(0);
  }

  private static String x(KeyPair k) {
    byte[] spki = k.getPublic().getEncoded();
    return B64.encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
  }

  private void hostile(HttpExchange ex) throws IOException {
    ex.getRequestBody().readAllBytes();
    String path = ex.getRequestURI().getRawPath();
    ex.getRequestHeaders()
        .forEach(
            (name, values) -> {
              if (Set.of("authorization", "dpop", "x-aag-admin-secret")
                  .contains(name.toLowerCase())) {
                values.forEach(seenValues::add);
              }
            });
    try {
      switch (path) {
        case "/.well-known/jwks.json" -> {
          ObjectNode jwks = json.createObjectNode();
          jwks.putArray("keys")
              .addObject()
              .put("kty", "OKP")
              .put("crv", "Ed25519")
              .put("kid", "k1")
              .put("x", x(published));
          send(ex, 200, Map.of(), jwks.toString());
        }
        case "/token" -> {
          String proof = ex.getRequestHeaders().getFirst("DPoP");
          String jkt = SignedJWT.parse(proof).getHeader().getJWK().computeThumbprint().toString();
          String token = capability(jkt);
          seenValues.add(token);
          ObjectNode out =
              json.createObjectNode()
                  .put("token", token)
                  .put("expires_at_rfc3339", Instant.now().plusSeconds(600).toString())
                  .put("max_calls", 50)
                  .put("compatibility_profile", "aacp_v1");
          send(ex, 200, Map.of(), out.toString());
        }
        case "/.well-known/oauth-protected-resource" ->
            send(ex, 200, Map.of(), "{\"pad\":\"" + "a".repeat(ContractKit.MAX_BODY_BYTES) + "\"}");
        default -> {
          // echo what the client sent back as the error code
          String echoed =
              ex.getRequestHeaders().getFirst("x-aag-admin-secret") != null
                  ? ex.getRequestHeaders().getFirst("x-aag-admin-secret")
                  : String.valueOf(ex.getRequestHeaders().getFirst("DPoP"));
          send(
              ex,
              401,
              Map.of(
                  "x-briefcase-error", echoed, "WWW-Authenticate", "DPoP error=\"" + echoed + "\""),
              json.createObjectNode().put("error", echoed).toString());
        }
      }
    } catch (Exception e) {
      send(ex, 500, Map.of(), "{}");
    }
  }

  /** A capability bound to {@code jkt}, signed by a key the JWKS does not publish. */
  private String capability(String jkt) throws Exception {
    ObjectNode header =
        json.createObjectNode().put("alg", "EdDSA").put("typ", "JWT").put("kid", "k1");
    ObjectNode claims =
        json.createObjectNode()
            .put("iss", base)
            .put("jti", UUID.randomUUID().toString())
            .put("scope", "quote")
            .put("max_calls", 50);
    claims.putObject("cnf").put("jkt", jkt);
    String input =
        B64.encodeToString(json.writeValueAsBytes(header))
            + "."
            + B64.encodeToString(json.writeValueAsBytes(claims));
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(signing.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + B64.encodeToString(s.sign());
  }

  private static void send(HttpExchange ex, int status, Map<String, String> headers, String body)
      throws IOException {
    ex.getResponseHeaders().set("x-briefcase-compatibility-profile", "aacp_v1");
    headers.forEach(ex.getResponseHeaders()::set);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  private record Run(int exit, String out, String err) {}

  private Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        BriefcaseCommand.execute(
            Map.of(),
            tmp.getRoot().toPath(),
            null,
            new PrintWriter(out),
            new PrintWriter(err),
            args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  public void baseUrlsAreHttpsOrLoopbackHttpWithoutPathQueryOrUserInfo() {
    assertEquals("https://provider.example", ContractKit.baseUrl("https://Provider.example/"));
    assertEquals("http://127.0.0.1:9099", ContractKit.baseUrl("http://127.0.0.1:9099"));
    assertEquals("http://[::1]:8080", ContractKit.baseUrl("http://[::1]:8080"));
    assertEquals("http://localhost:1", ContractKit.baseUrl("http://localhost:1"));
    for (String bad :
        List.of(
            "",
            "provider.example",
            "http://provider.example",
            "http://10.0.0.1:9099",
            "http://127.0.0.1.nip.io",
            "ftp://127.0.0.1",
            "https://user@provider.example",
            "https://provider.example/api",
            "https://provider.example?x=1",
            "https://provider.example#f",
            "javascript:alert(1)")) {
      try {
        ContractKit.baseUrl(bad);
        fail("accepted " + bad);
      } catch (IllegalArgumentException expected) {
        // refused
      }
    }
  }

  @Test
  public void metadataEndpointsMayHaveAPathButNotPlainHttpElsewhere() {
    assertTrue(ContractKit.httpsOrLoopback("https://as.example/tenant/oauth/token"));
    assertTrue(ContractKit.httpsOrLoopback("http://127.0.0.1:9099/oauth/token"));
    assertFalse(ContractKit.httpsOrLoopback("http://as.example/oauth/token"));
    assertFalse(ContractKit.httpsOrLoopback("https://user@as.example/oauth/token"));
    assertFalse(ContractKit.httpsOrLoopback("/oauth/token"));
  }

  @Test
  public void usageErrorsComeBeforeAnyRequest() throws Exception {
    Run plain = cli("provider", "check", "http://provider.example");
    assertEquals(ExitCodes.USAGE, plain.exit());
    assertEquals("", plain.out());
    assertTrue(plain.err(), plain.err().contains("invalid_base_url"));
    assertEquals(ExitCodes.USAGE, cli("provider", "check", base, "--timeout", "0").exit());
    Run missing = cli("provider", "check", base, "--admin-secret-file", tmp.getRoot() + "/nope");
    assertEquals(ExitCodes.ERROR, missing.exit());
    assertTrue(missing.err().contains("admin_secret_unreadable"));
    assertTrue("nothing was sent", seenValues.isEmpty());
  }

  @Test
  public void aHostileProviderFailsItsChecksAndGetsNothingQuotedBack() throws Exception {
    Path secretFile = tmp.newFile("admin-secret").toPath();
    Files.writeString(secretFile, SECRET + "\n");
    Run run = cli("provider", "check", base, "--admin-secret-file", secretFile.toString());
    assertEquals(run.err(), ExitCodes.CONTRACT_FAILED, run.exit());
    JsonNode report = json.readTree(run.out());
    assertEquals(base, report.get("base_url").asText());
    assertFalse(report.get("ok").asBoolean());
    assertEquals(ContractKit.CHECKS.size(), report.get("checks").size());

    assertTrue("the secret reached the provider", seenValues.contains(SECRET));
    assertTrue("tokens and proofs reached the provider", seenValues.size() > 3);
    for (String value : seenValues) {
      assertFalse("the report quotes a value the client sent", run.out().contains(value));
      assertFalse("stderr quotes a value the client sent", run.err().contains(value));
    }
    String binding = detail(report, "capability_pop_binding");
    assertTrue(binding, binding.contains("does not verify with the JWKS key"));
    assertFalse(check(report, "capability_pop_binding"));
    assertTrue(
        detail(report, "token_response_profile_field"),
        check(report, "token_response_profile_field"));
    assertTrue(
        detail(report, "quote_requires_dpop_when_pop_bound"),
        detail(report, "quote_requires_dpop_when_pop_bound").contains("401 (other)"));
    String oauth = detail(report, "oauth_code_pkce_mints_capability");
    assertTrue(oauth, oauth.contains("larger than"));
    assertTrue(detail(report, "revocation_signaled").contains("401 (other)"));
  }

  private static JsonNode find(JsonNode report, String name) {
    for (JsonNode c : report.get("checks")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no check " + name);
  }

  private static String detail(JsonNode report, String name) {
    return find(report, name).get("detail").asText();
  }

  private static boolean check(JsonNode report, String name) {
    return find(report, name).get("ok").asBoolean();
  }
}
