package dev.briefcase.provider.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.testing.FeatureFramework;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Boots Felix with the packaged bundle, the HTTP whiteboard (Jetty 12) whose listener is named
 * {@code briefcase-provider}, and the prerequisites of features/core.json: the bundle resolves with
 * only what it imports or embeds (Nimbus and the DPoP verifier are kept off this JVM's class path),
 * its DS component activates on a store and a key directory, and its routes answer on that
 * listener.
 */
public class ProviderOAuthBundleIT {
  private static final List<String> PREREQUISITES =
      List.of(
          "jackson-annotations",
          "jackson-core",
          "jackson-databind",
          "bcprov-jdk18on",
          "dev.briefcase.api",
          "asm",
          "asm-tree",
          "asm-analysis",
          "asm-commons",
          "asm-util",
          "org.apache.aries.spifly.dynamic.bundle",
          "slf4j-api",
          "slf4j-simple",
          "commons-io",
          "commons-fileupload",
          "org.apache.felix.http.servlet-api",
          "org.apache.felix.http.jetty12",
          "org.osgi.util.function",
          "org.osgi.util.promise",
          "org.osgi.service.component",
          "org.apache.felix.scr");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private FeatureFramework framework;
  private Bundle api;
  private int port;

  @Before
  public void boot() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    framework =
        FeatureFramework.boot(
            tmp.newFolder("felix-cache").toPath(),
            PREREQUISITES,
            Map.of(
                "org.osgi.service.http.port", Integer.toString(port),
                "org.apache.felix.http.host", "127.0.0.1",
                "org.apache.felix.http.name", "briefcase-provider"));
    api = framework.bundle("dev.briefcase.api");
    assertEquals(Bundle.ACTIVE, framework.own().getState());
  }

  @After
  public void stop() throws Exception {
    if (framework != null) {
      framework.close();
    }
  }

  @Test
  public void nimbusAndTheVerifierComeOnlyFromTheBundle() throws Exception {
    for (String name :
        new String[] {"com.nimbusds.jose.JWSObject", "dev.briefcase.dpop.DpopVerifier"}) {
      try {
        Class.forName(name);
        fail(name + " must only come from the bundle");
      } catch (ClassNotFoundException expected) {
        // embedded
      }
      assertTrue(framework.own().loadClass(name) != null);
    }
  }

  @Test
  public void theRoutesAnswerOnTheProviderListener() throws Exception {
    BundleContext ctx = api.getBundleContext();
    // an empty store: no clients yet, every write succeeds
    ctx.registerService(
        "dev.briefcase.store.Store",
        stub("dev.briefcase.store.Store", m -> m.getName().equals("read") ? 0 : null),
        new Hashtable<>());
    ctx.registerService(
        "dev.briefcase.keys.KeyDirectory",
        stub("dev.briefcase.keys.KeyDirectory", m -> null),
        new Hashtable<>());

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI metadata = URI.create("http://127.0.0.1:" + port + OAuthServlet.AS_METADATA);
    HttpResponse<String> res = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      try {
        res =
            http.send(
                HttpRequest.newBuilder(metadata).build(), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() == 200) {
          break;
        }
      } catch (java.io.IOException notYet) {
        // the listener is not up yet
      }
      Thread.sleep(50);
    }
    assertTrue("the metadata route never answered 200", res != null && res.statusCode() == 200);
    assertEquals("aacp_v1", res.headers().firstValue("x-briefcase-compatibility-profile").get());
    assertTrue(res.body(), res.body().contains("\"code_challenge_methods_supported\":[\"S256\"]"));

    HttpResponse<String> registered =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/oauth/register"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"redirect_uris\":[\"http://127.0.0.1:47613/callback\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(registered.body(), 201, registered.statusCode());
    assertTrue(registered.body().contains("\"token_endpoint_auth_method\":\"none\""));
  }

  private Object stub(String type, Function<Method, Object> answer) throws Exception {
    Class<?> t = api.loadClass(type);
    return Proxy.newProxyInstance(
        t.getClassLoader(),
        new Class<?>[] {t},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "hashCode":
              return System.identityHashCode(proxy);
            case "equals":
              return proxy == args[0];
            case "toString":
              return type + " stub";
            default:
              return answer.apply(method);
          }
        });
  }
}
