package dev.briefcase.rail.l402.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.testing.FeatureFramework;
import dev.briefcase.testing.Poll;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Hashtable;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleReference;
import org.osgi.framework.ServiceReference;

/**
 * Boots Felix with the packaged rail bundle and the prerequisites of features/core.json, configures
 * it with a helper script and pays an L402 challenge inside the framework. The L402 functions and
 * the helper client are kept off this JVM's class path (failsafe classpathDependencyExcludes), so
 * the bundle can only work with what it embeds and imports (BouncyCastle from its bundle).
 */
public class RailBundleIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();
  private static final List<String> PREREQUISITES =
      List.of(
          "jackson-annotations",
          "jackson-core",
          "jackson-databind",
          "bcprov-jdk18on",
          "dev.briefcase.api",
          "org.osgi.util.function",
          "org.osgi.util.promise",
          "org.osgi.service.component",
          "org.apache.felix.configadmin",
          "org.apache.felix.scr");
  private static final String RAIL = "dev.briefcase.payment.PaymentRail";
  private static final String PREIMAGE = "5e".repeat(32);
  private static final String NODE_KEY = "ea".repeat(31) + "01";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private FeatureFramework framework;
  private Bundle rail;

  @Before
  public void boot() throws Exception {
    framework =
        FeatureFramework.boot(tmp.newFolder("felix-cache").toPath(), PREREQUISITES, Map.of());
    rail = framework.own();
    assertEquals(Bundle.ACTIVE, rail.getState());
  }

  @After
  public void stop() throws Exception {
    if (framework != null) {
      framework.close();
    }
  }

  @Test
  public void whatTheBundleEmbedsIsNotOnTheApplicationClassPath() throws Exception {
    for (String name :
        new String[] {
          "dev.briefcase.l402.Bolt11",
          "dev.briefcase.l402.Macaroon",
          "dev.briefcase.payhelper.client.PaymentHelperClient"
        }) {
      try {
        Class.forName(name);
        fail(name + " must only come from the bundle");
      } catch (ClassNotFoundException expected) {
        // the bundle brings its own copy
      }
      Class<?> embedded = rail.loadClass(name);
      assertEquals(rail, ((BundleReference) embedded.getClassLoader()).getBundle());
    }
  }

  @Test
  public void theRailQuotesPaysThroughItsHelperAndSettlesInsideTheFramework() throws Exception {
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(HEX.parseHex(PREIMAGE));
    String invoice = invoiceInsideTheBundle(hash);
    String macaroon = macaroonInsideTheBundle(hash);
    Path seen = tmp.getRoot().toPath().resolve("seen.json");
    Path helper = tmp.getRoot().toPath().resolve("helper.sh");
    Files.writeString(
        helper,
        "#!/bin/sh\ncat > "
            + seen
            + "\necho '{\"preimage\":\""
            + PREIMAGE
            + "\",\"payment_hash\":\""
            + HEX.formatHex(hash)
            + "\"}'\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));

    BundleContext ctx = rail.getBundleContext();
    ServiceReference<?> caRef = ctx.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
    Object configurationAdmin = ctx.getService(caRef);
    Object configuration = call(configurationAdmin, "getConfiguration", L402Rail.PID, "?");
    Hashtable<String, Object> props = new Hashtable<>();
    props.put("helper_command", new String[] {helper.toString()});
    props.put("networks", new String[] {"bcrt"});
    props.put("usd_per_btc", 50_000L); // underscore property names reach the component
    call(configuration, "update", props);

    Object service =
        Poll.firstWithin(
            Poll.DEFAULT_TIMEOUT,
            () -> {
              ServiceReference<?> ref = ctx.getServiceReference(RAIL);
              return ref != null
                      && "l402".equals(ref.getProperty("rail.scheme"))
                      && ref.getProperty("helper_command") != null
                  ? ctx.getService(ref)
                  : null;
            });
    assertNotNull("the configured rail never registered", service);

    Bundle api = framework.bundle("dev.briefcase.api");
    Object challenge =
        api.loadClass("dev.briefcase.payment.PaymentChallenge")
            .getConstructors()[0]
            .newInstance(
                "http://127.0.0.1:9099",
                Map.of(
                    "www-authenticate",
                    List.of(
                        "LSAT macaroon=\"" + macaroon + "\", invoice=\"" + invoice + "\"",
                        "L402 invoice=\"" + invoice + "\", macaroon=\"" + macaroon + "\"")),
                "{}",
                1_000_000L,
                "key-1");
    Object quote = call(service, "quote", challenge);
    assertEquals(125_000L, call(quote, "amountMicroUsd"));
    assertEquals(
        Map.of("amount_msat", "250000", "payment_hash", HEX.formatHex(hash), "network", "bcrt"),
        call(quote, "facts"));

    Object proof = call(service, "pay", challenge, quote);
    assertEquals(HEX.formatHex(hash), call(proof, "reference"));
    assertEquals(
        Map.of("Authorization", "L402 " + macaroon + ":" + PREIMAGE),
        call(call(proof, "retryHeaders"), "reveal"));
    JsonNode request = JSON.readTree(seen.toFile());
    assertEquals("l402", request.get("rail").asText());
    assertEquals(invoice, request.get("invoice").asText());
    assertEquals("250000", request.get("max_amount_msat").asText());

    Object settlement = call(service, "settled", challenge, proof, 200, Map.of());
    assertEquals(HEX.formatHex(hash), call(settlement, "reference"));
    Object reuse = call(service, "quote", challenge);
    assertEquals(0L, call(reuse, "amountMicroUsd"));
    assertTrue(((Map<?, ?>) call(reuse, "facts")).containsKey("token_reused"));
  }

  /** A regtest invoice for 250 sat, signed with the bundle's embedded BOLT11 encoder. */
  private String invoiceInsideTheBundle(byte[] hash) throws Exception {
    Class<?> fieldsType = rail.loadClass("dev.briefcase.l402.Bolt11$Fields");
    Object f = fieldsType.getConstructor().newInstance();
    fieldsType.getField("network").set(f, "bcrt");
    fieldsType.getField("amountMsat").set(f, 250_000L);
    fieldsType.getField("timestamp").set(f, System.currentTimeMillis() / 1000 - 10);
    fieldsType.getField("paymentHash").set(f, hash);
    fieldsType.getField("description").set(f, "bundle test");
    return (String)
        callStatic(
            rail.loadClass("dev.briefcase.l402.Bolt11"), "encode", f, HEX.parseHex(NODE_KEY));
  }

  /** A macaroon whose L402 identifier commits to {@code hash}, minted by the embedded code. */
  private String macaroonInsideTheBundle(byte[] hash) throws Exception {
    Object id =
        callStatic(
            rail.loadClass("dev.briefcase.l402.L402Identifier"),
            "of",
            hash,
            HEX.parseHex("01".repeat(32)));
    Object m =
        callStatic(
            rail.loadClass("dev.briefcase.l402.Macaroon"),
            "mint",
            HEX.parseHex("42".repeat(32)),
            "bundle-test",
            call(id, "encode"),
            List.of("services=quote:0"));
    return (String) call(m, "toBase64");
  }

  private static Object call(Object target, String name, Object... args) throws Exception {
    return invoke(target.getClass(), target, name, args);
  }

  private static Object callStatic(Class<?> type, String name, Object... args) throws Exception {
    return invoke(type, null, name, args);
  }

  /** Reflection across class loaders: picks the method by name and argument types. */
  private static Object invoke(Class<?> type, Object target, String name, Object... args)
      throws Exception {
    for (Method m : type.getMethods()) {
      if (m.getName().equals(name) && accepts(m.getParameterTypes(), args)) {
        m.setAccessible(true);
        try {
          return m.invoke(target, args);
        } catch (InvocationTargetException e) {
          throw new AssertionError(name + " failed inside the framework", e.getCause());
        }
      }
    }
    throw new NoSuchMethodException(type.getName() + "." + name);
  }

  private static boolean accepts(Class<?>[] params, Object[] args) {
    if (params.length != args.length) {
      return false;
    }
    for (int i = 0; i < params.length; i++) {
      Class<?> p = params[i];
      if (p == int.class) {
        p = Integer.class;
      } else if (p == long.class) {
        p = Long.class;
      }
      if (args[i] != null && !p.isInstance(args[i])) {
        return false;
      }
    }
    return true;
  }
}
