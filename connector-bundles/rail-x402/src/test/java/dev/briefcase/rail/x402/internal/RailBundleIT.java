package dev.briefcase.rail.x402.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.testing.FeatureFramework;
import dev.briefcase.testing.Poll;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Hashtable;
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
 * it with a helper script and pays a challenge inside the framework. web3j, the x402 codecs and the
 * helper client are kept off this JVM's class path (failsafe classpathDependencyExcludes), so the
 * bundle can only work with what it embeds: a half-embedded split package (org.web3j.crypto lives
 * in two jars) fails here with NoClassDefFoundError.
 */
public class RailBundleIT {
  private static final ObjectMapper JSON = new ObjectMapper();
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
  private static final String PRIVATE_KEY =
      "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
  private static final String PAYER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
  private static final String NONCE = "0x" + "42".repeat(32);
  private static final String TX = "0x" + "7a".repeat(32);

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
          "org.web3j.crypto.Hash",
          "org.web3j.crypto.Sign",
          "dev.briefcase.x402.Eip3009",
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
    String challengeHeader = b64(challenge().toString());
    String paymentSignature = signInsideTheBundle(challengeHeader);
    Path seen = tmp.getRoot().toPath().resolve("seen.json");
    Path answer = tmp.getRoot().toPath().resolve("answer.json");
    Files.writeString(
        answer,
        JSON.createObjectNode()
            .put("payment_signature_b64", paymentSignature)
            .put("payer", PAYER)
            .put("nonce", NONCE)
            .toString());
    Path helper = tmp.getRoot().toPath().resolve("helper.sh");
    Files.writeString(helper, "#!/bin/sh\ncat > " + seen + "\ncat " + answer + "\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));

    BundleContext ctx = rail.getBundleContext();
    ServiceReference<?> caRef = ctx.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
    Object configurationAdmin = ctx.getService(caRef);
    Object configuration = call(configurationAdmin, "getConfiguration", X402Rail.PID, "?");
    Hashtable<String, Object> props = new Hashtable<>();
    props.put("helper_command", new String[] {helper.toString()});
    call(configuration, "update", props);

    Object service =
        Poll.firstWithin(
            Poll.DEFAULT_TIMEOUT,
            () -> {
              ServiceReference<?> ref = ctx.getServiceReference(RAIL);
              return ref != null && ref.getProperty("helper_command") != null
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
                Map.of("payment-required", List.of(challengeHeader)),
                "{}",
                1_000_000L,
                "key-1");
    Object quote = call(service, "quote", challenge);
    assertEquals(10_000L, call(quote, "amountMicroUsd"));

    Object proof = call(service, "pay", challenge, quote);
    assertEquals(NONCE, call(proof, "reference"));
    assertEquals(
        Map.of("PAYMENT-SIGNATURE", paymentSignature), call(call(proof, "retryHeaders"), "reveal"));
    JsonNode request = JSON.readTree(seen.toFile());
    assertEquals("x402_v2", request.get("rail").asText());
    assertEquals(challenge().get("accepts").get(0), request.get("accepted"));

    String response =
        b64(
            JSON.createObjectNode()
                .put("success", true)
                .put("payer", PAYER)
                .put("transaction", TX)
                .put("network", "eip155:8453")
                .toString());
    Object settlement =
        call(
            service,
            "settled",
            challenge,
            proof,
            200,
            Map.of("payment-response", List.of(response)));
    assertEquals(TX, call(settlement, "reference"));
    assertTrue(PAYER.equalsIgnoreCase((String) call(settlement, "payer")));
  }

  /** What the helper would print, made with the bundle's own embedded codecs and web3j. */
  private String signInsideTheBundle(String challengeHeader) throws Exception {
    Class<?> requiredType = rail.loadClass("dev.briefcase.x402.PaymentRequired");
    Class<?> eip3009 = rail.loadClass("dev.briefcase.x402.Eip3009");
    Object required = callStatic(requiredType, "parse", challengeHeader);
    Object offer = ((List<?>) call(required, "accepts")).get(0);
    long validBefore = System.currentTimeMillis() / 1000 + 100;
    Object authorization =
        rail.loadClass("dev.briefcase.x402.Authorization")
            .getConstructors()[0]
            .newInstance(
                PAYER,
                call(offer, "payTo"),
                call(offer, "amount"),
                BigInteger.ZERO,
                BigInteger.valueOf(validBefore),
                NONCE);
    Object domain = callStatic(rail.loadClass("dev.briefcase.x402.Eip3009$Domain"), "of", offer);
    byte[] digest = (byte[]) callStatic(eip3009, "digest", domain, authorization);
    Object key =
        callStatic(
            rail.loadClass("org.web3j.crypto.ECKeyPair"),
            "create",
            new BigInteger(PRIVATE_KEY, 16));
    String signature = (String) callStatic(eip3009, "sign", digest, key);
    assertEquals(PAYER, callStatic(eip3009, "recover", digest, signature));
    return (String)
        callStatic(
            rail.loadClass("dev.briefcase.x402.PaymentSignature"),
            "build",
            required,
            call(offer, "node"),
            authorization,
            signature);
  }

  private static ObjectNode challenge() {
    ObjectNode root = JSON.createObjectNode();
    root.put("x402Version", 2);
    root.putObject("resource").put("url", "http://127.0.0.1:9099/quote");
    ObjectNode offer = root.putArray("accepts").addObject();
    offer.put("scheme", "exact");
    offer.put("network", "eip155:8453");
    offer.put("amount", "10000");
    offer.put("asset", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
    offer.put("payTo", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    offer.put("maxTimeoutSeconds", 120);
    offer.putObject("extra").put("name", "USD Coin").put("version", "2");
    return root;
  }

  private static String b64(String json) {
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
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
