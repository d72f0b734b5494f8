package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.testing.FeatureFramework;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleReference;
import org.osgi.framework.ServiceReference;

/**
 * Boots Felix with the packaged bundle (target/*.jar), Jackson and the API bundle at the versions
 * of features/core.json, and runs a login start inside it against the real AS: discovery (the
 * embedded SDK parses the metadata), dynamic registration and the authorization URL. The Nimbus
 * libraries are kept off this JVM's class path (failsafe classpathDependencyExcludes), so the
 * bundle can only work with what it embeds.
 */
public class OAuthBundleIT {
  private static final String INTERNAL = "dev.briefcase.oauth.internal.";
  private static final List<String> PREREQUISITES =
      List.of(
          "jackson-annotations",
          "jackson-core",
          "jackson-databind",
          "dev.briefcase.api",
          // the credential service is a DS component: the bundle requires the extender
          "org.osgi.util.function",
          "org.osgi.util.promise",
          "org.osgi.service.component",
          "org.apache.felix.scr");
  private static final String REDIRECT = "http://127.0.0.1:47613/callback";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static OAuthFixture fixture;
  private FeatureFramework framework;
  private Bundle api;
  private Bundle oauth;

  @BeforeClass
  public static void startFixture() throws Exception {
    fixture = OAuthFixture.start();
  }

  @AfterClass
  public static void stopFixture() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Before
  public void boot() throws Exception {
    framework =
        FeatureFramework.boot(tmp.newFolder("felix-cache").toPath(), PREREQUISITES, Map.of());
    api = framework.bundle("dev.briefcase.api");
    oauth = framework.own();
    assertEquals(Bundle.ACTIVE, oauth.getState());
  }

  @After
  public void stop() throws Exception {
    if (framework != null) {
      framework.close();
    }
  }

  @Test
  public void nimbusIsNotOnTheApplicationClassPath() {
    for (String name :
        new String[] {"com.nimbusds.oauth2.sdk.TokenRequest", "com.nimbusds.jose.JWSObject"}) {
      try {
        Class.forName(name);
        fail(name + " must only come from the bundle");
      } catch (ClassNotFoundException expected) {
        // the bundle brings its own copy
      }
    }
  }

  @Test
  public void aLoginStartsInsideTheFramework() throws Exception {
    Class<?> clientType = oauth.loadClass(INTERNAL + "OAuthClient");
    assertTrue(clientType.getClassLoader() instanceof BundleReference);
    Class<?> sdk = oauth.loadClass("com.nimbusds.oauth2.sdk.TokenRequest");
    assertEquals(oauth, ((BundleReference) sdk.getClassLoader()).getBundle());

    Map<String, byte[]> stored = new ConcurrentHashMap<>();
    Object secrets = secretStore(stored);
    Class<?> transportType = oauth.loadClass(INTERNAL + "HttpTransport");
    Constructor<?> transportNew =
        transportType.getDeclaredConstructor(Duration.class, Duration.class, int.class);
    transportNew.setAccessible(true);
    Object transport =
        transportNew.newInstance(Duration.ofSeconds(2), Duration.ofSeconds(3), 1 << 20);
    Class<?> keysType = api.loadClass("dev.briefcase.keys.KeyDirectory");
    Class<?> storeType = api.loadClass("dev.briefcase.secrets.SecretStore");
    Class<?> receiptsType = api.loadClass("dev.briefcase.receipts.ReceiptLog");
    List<Object> events = new ArrayList<>();
    Object receipts =
        Proxy.newProxyInstance(
            receiptsType.getClassLoader(),
            new Class<?>[] {receiptsType},
            (proxy, method, args) -> {
              if (method.getName().equals("append")) {
                events.add(args[0]);
                return null;
              }
              throw new UnsupportedOperationException(method.getName());
            });
    Constructor<?> clientNew =
        clientType.getDeclaredConstructor(
            transportType, keysType, storeType, receiptsType, Clock.class);
    clientNew.setAccessible(true);
    // a login start touches no key: the key directory comes in at the exchange
    Object client = clientNew.newInstance(transport, null, secrets, receipts, Clock.systemUTC());

    Class<?> providerType = oauth.loadClass(INTERNAL + "OAuthClient$Provider");
    Object provider =
        providerType.getConstructors()[0].newInstance(
            "osgi", URI.create(fixture.rs + "/api"), null, URI.create(REDIRECT), "api:read");
    Method register = clientType.getDeclaredMethod("register", providerType);
    register.setAccessible(true);
    register.invoke(client, provider);
    Object start = clientType.getMethod("start", String.class).invoke(client, "osgi");
    URI url = (URI) start.getClass().getMethod("authorizationUrl").invoke(start);
    String state = (String) start.getClass().getMethod("state").invoke(start);
    assertTrue(url.toString(), url.toString().startsWith(fixture.as + "/auth?"));
    assertTrue(url.toString(), url.toString().contains("code_challenge_method=S256"));
    assertNotNull("dynamic registration stored no client id", stored.get("oauth.osgi.client_id"));

    // the real AS accepts what the bundle built: the login reaches the redirect with a code
    URI callback = HeadlessLogin.login(url, REDIRECT, "dave");
    assertEquals(state, HeadlessLogin.param(callback, "state"));
    assertNotNull(HeadlessLogin.param(callback, "code"));

    // and a refused step still carries its stable code across the class loaders
    try {
      clientType
          .getMethod("exchange", String.class, String.class, String.class, String.class)
          .invoke(client, "osgi", "code", "no-such-state", fixture.as);
      fail("expected unknown_oauth_state");
    } catch (InvocationTargetException e) {
      assertEquals(
          "unknown_oauth_state", e.getCause().getClass().getMethod("code").invoke(e.getCause()));
    }
    assertEquals(1, events.size());
    assertTrue(events.get(0).toString(), events.get(0).toString().contains("unknown_oauth_state"));
  }

  @Test
  public void theComponentIsAlsoTheOauthCredentialStrategy() throws Exception {
    BundleContext ctx = api.getBundleContext();
    Map<String, byte[]> stored = new ConcurrentHashMap<>();
    ctx.registerService(
        "dev.briefcase.secrets.SecretStore", secretStore(stored), new Hashtable<>());
    // the table is empty: migrate does nothing, every read finds no rows
    ctx.registerService(
        "dev.briefcase.store.Store",
        stub(
            "dev.briefcase.store.Store",
            m -> m.getName().equals("read") ? new ArrayList<>() : null),
        new Hashtable<>());
    ctx.registerService(
        "dev.briefcase.keys.KeyDirectory",
        stub("dev.briefcase.keys.KeyDirectory", m -> null),
        new Hashtable<>());
    ctx.registerService(
        "dev.briefcase.receipts.ReceiptLog",
        stub("dev.briefcase.receipts.ReceiptLog", m -> null),
        new Hashtable<>());

    ServiceReference<?>[] strategies = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (strategies == null && System.nanoTime() < deadline) {
      strategies =
          ctx.getServiceReferences(
              "dev.briefcase.credentials.CredentialStrategy", "(credential.strategy=oauth)");
      if (strategies == null) {
        Thread.sleep(20);
      }
    }
    assertNotNull("no oauth credential strategy was registered", strategies);
    assertEquals(1, strategies.length);
    assertEquals(oauth, strategies[0].getBundle());
    // one instance: the strategy hands out the tokens the credential service holds
    ServiceReference<?> service =
        ctx.getServiceReference("dev.briefcase.credentials.CredentialService");
    assertNotNull(service);
    assertEquals(strategies[0].getProperty("service.id"), service.getProperty("service.id"));
  }

  private Object stub(String type, java.util.function.Function<Method, Object> answer)
      throws Exception {
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

  /** The API bundle's SecretStore over a map, callable across class loaders. */
  private Object secretStore(Map<String, byte[]> stored) throws Exception {
    Class<?> storeType = api.loadClass("dev.briefcase.secrets.SecretStore");
    Class<?> sensitive = api.loadClass("dev.briefcase.secrets.Sensitive");
    Method of = sensitive.getMethod("of", Object.class);
    Method reveal = sensitive.getMethod("reveal");
    return Proxy.newProxyInstance(
        storeType.getClassLoader(),
        new Class<?>[] {storeType},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "get":
              byte[] v = stored.get((String) args[0]);
              return v == null
                  ? Optional.empty()
                  : Optional.of(of.invoke(null, (Object) v.clone()));
            case "put":
              stored.put((String) args[0], ((byte[]) reveal.invoke(args[1])).clone());
              return null;
            case "delete":
              return stored.remove((String) args[0]) != null;
            case "ids":
              return List.copyOf(stored.keySet());
            default:
              throw new UnsupportedOperationException(method.getName());
          }
        });
  }
}
