package dev.briefcase.itests.kernel;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolSpec;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/** Boots the runtime's real bundles and calls tools through the kernel service. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KernelIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject ToolCallService tools;
  @Inject ReceiptLog receipts;
  @Inject BundleContext context;

  @Configuration
  public Option[] config() {
    return RuntimeOptions.core();
  }

  @Test
  public void everyFeatureBundleIsActive() {
    for (Bundle b : context.getBundles()) {
      if (b.getHeaders().get("Fragment-Host") == null) {
        assertEquals(b.getSymbolicName() + " is not active", Bundle.ACTIVE, b.getState());
      }
    }
  }

  /**
   * Only the API bundle exports: the egress client's bundle and every other implementation or
   * plugin bundle export nothing, and the egress package reaches its provider and its users from
   * the API bundle, so replacing the egress bundle refreshes nothing else.
   */
  @Test
  public void onlyTheApiBundleExportsAndTheEgressApiComesFromIt() {
    for (Bundle b : context.getBundles()) {
      String bsn = b.getSymbolicName();
      if (bsn != null && bsn.startsWith("dev.briefcase.") && !bsn.equals("dev.briefcase.api")) {
        String exports = b.getHeaders().get("Export-Package");
        assertTrue(bsn + " exports " + exports, exports == null || exports.isBlank());
      }
    }
    assertNotNull(
        "no EgressClient service",
        context.getServiceReference("dev.briefcase.egress.EgressClient"));
    for (String user : List.of("dev.briefcase.egress", "dev.briefcase.sandbox")) {
      assertEquals(user, "dev.briefcase.api", providerOf(bundle(user), "dev.briefcase.egress"));
    }
  }

  /**
   * Every configuration a Briefcase bundle declares (its metatype designates) has a PID named after
   * the bundle, so an operator finds a setting by the bundle that reads it and the launcher's
   * pinned feature configuration reaches the component (a class-name PID silently ignored it once).
   */
  @Test
  public void everyConfigurationPidIsNamedAfterItsBundle() throws Exception {
    Pattern designate = Pattern.compile("<Designate\\b[^>]*?\\b(?:factoryPid|pid)=\"([^\"]+)\"");
    int seen = 0;
    for (Bundle b : context.getBundles()) {
      String bsn = b.getSymbolicName();
      if (bsn == null || !bsn.startsWith("dev.briefcase.")) {
        continue;
      }
      Enumeration<URL> entries = b.findEntries("OSGI-INF/metatype", "*.xml", false);
      while (entries != null && entries.hasMoreElements()) {
        URL entry = entries.nextElement();
        String xml;
        try (InputStream in = entry.openStream()) {
          xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = designate.matcher(xml);
        while (m.find()) {
          String pid = m.group(1);
          seen++;
          assertTrue(bsn + " declares PID " + pid, pid.equals(bsn) || pid.startsWith(bsn + "."));
          // a component class name starts with the bundle's name too, but is not a pinned name
          assertFalse(bsn + " declares the class-name PID " + pid, pid.contains(".internal."));
        }
      }
    }
    assertTrue("no configuration PIDs found in the core bundles", seen >= 5);
  }

  private Bundle bundle(String bsn) {
    for (Bundle b : context.getBundles()) {
      if (bsn.equals(b.getSymbolicName())) {
        return b;
      }
    }
    throw new AssertionError(bsn + " is not installed");
  }

  private static String providerOf(Bundle b, String pkg) {
    for (BundleWire w : b.adapt(BundleWiring.class).getRequiredWires("osgi.wiring.package")) {
      if (pkg.equals(w.getCapability().getAttributes().get("osgi.wiring.package"))) {
        return w.getProvider().getBundle().getSymbolicName();
      }
    }
    throw new AssertionError(b.getSymbolicName() + " is not wired to " + pkg);
  }

  @Test
  public void builtinToolsAreListed() {
    List<String> ids = tools.listTools().stream().map(ToolSpec::id).toList();
    assertTrue(
        ids.toString(), ids.containsAll(List.of("echo", "file_read", "note_add", "notes_list")));
  }

  @Test
  public void echoThroughTheKernelWithRealCedarAndReceipts() throws Exception {
    ToolCallOutcome r = call("echo", "{\"text\":\"hi\"}");
    assertEquals(ToolCallOutcome.Status.OK, r.status());
    assertEquals("{\"echo\":\"hi\"}", r.content().toString());
    assertEquals("local:echo", r.provenance().source());
    // the real Cedar default policy: write tools need a local approval
    ToolCallOutcome note = call("note_add", "{\"text\":\"a\"}");
    assertEquals(ToolCallOutcome.Status.APPROVAL_REQUIRED, note.status());
    assertEquals("local", note.approval().kind());
    assertTrue(receipts.verify().ok());
    assertTrue(receipts.verify().count() >= 2);
  }

  private ToolCallOutcome call(String tool, String args) throws Exception {
    return tools.call(
        new ToolCallRequest(
            tool,
            JSON.readTree(args),
            new CallContext(UUID.randomUUID().toString(), null, null, "itest"),
            null));
  }
}
