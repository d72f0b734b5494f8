package dev.briefcase.itests.kernel;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.plugins.PluginInfo;
import dev.briefcase.plugins.PluginService;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The {@code briefcase:} Gogo commands of the console bundle, run through a real Gogo {@link
 * CommandProcessor} session in Felix with the bundles of {@code features/core.json} and {@code
 * features/console.json}: list, approve, receipts, verify, budgets and plugin lifecycle, each
 * through the kernel services with actor {@code gogo:<user>}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GogoCommandsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONNECTOR_JAR = "briefcase.test.connectorJar";

  @Inject CommandProcessor processor;
  @Inject ToolCallService tools;
  @Inject PluginService plugins;

  @Configuration
  public Option[] config() throws Exception {
    List<Option> options = new ArrayList<>();
    for (FeatureBundles.Entry b : FeatureBundles.of("console")) {
      options.add(bundle(b.file().toUri().toString()).startLevel(b.startOrder() + 1).start());
    }
    options.add(frameworkProperty("gosh.args").value("--nointeractive"));
    options.add(frameworkProperty("org.apache.felix.http.require.config").value("false"));
    options.add(frameworkProperty("org.apache.felix.http.host").value("127.0.0.1"));
    options.add(frameworkProperty("org.osgi.service.http.port").value("0"));
    return OptionUtils.combine(
        RuntimeOptions.coreWithTestConnector(CONNECTOR_JAR), options.toArray(new Option[0]));
  }

  private String run(CommandSession session, String command) throws Exception {
    Object result = session.execute(command);
    return result == null ? "" : String.valueOf(result);
  }

  private static String refused(CommandSession session, String command) {
    try {
      Object r = session.execute(command);
      fail(command + " should be refused, printed " + r);
      return null;
    } catch (Exception e) {
      return String.valueOf(e.getMessage());
    }
  }

  @Test
  public void commandsGoThroughTheKernel() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
    InputStream in = new ByteArrayInputStream(new byte[0]);
    CommandSession session = processor.createSession(in, print, print);
    try {
      ToolCallOutcome pending =
          tools.call(
              new ToolCallRequest(
                  "note_add",
                  JSON.readTree("{\"text\":\"from gogo\"}"),
                  new CallContext(UUID.randomUUID().toString(), null, null, "itest"),
                  null));
      assertEquals(ToolCallOutcome.Status.APPROVAL_REQUIRED, pending.status());
      String id = pending.approval().id();

      String approvals = run(session, "briefcase:approvals");
      assertTrue(approvals, approvals.contains(id) && approvals.contains("note_add"));
      String approved = run(session, "briefcase:approve " + id);
      assertTrue(approved, approved.startsWith("approved " + id));
      // the approval id only names the approval; the token is shown once, to the approver
      String token = approved.substring(approved.indexOf("approval token: ") + 16).strip();
      assertFalse(token, token.isEmpty() || token.equals(id));
      assertTrue(run(session, "briefcase:approvals").contains("no pending approvals"));
      // the kernel state changed: the token runs the call once
      ToolCallOutcome ran =
          tools.call(
              new ToolCallRequest(
                  "note_add",
                  JSON.readTree("{\"text\":\"from gogo\"}"),
                  new CallContext(UUID.randomUUID().toString(), null, null, "itest"),
                  token));
      assertEquals(ToolCallOutcome.Status.OK, ran.status());
      String again = refused(session, "briefcase:deny " + id);
      assertTrue(again, again.startsWith("already_decided") || again.startsWith("not_found"));
      assertTrue(refused(session, "briefcase:approve no-such-id").startsWith("not_found"));

      String receipts = run(session, "briefcase:receipts 10");
      assertTrue(receipts, receipts.contains("\"type\":\"approval_decision\""));
      assertTrue(receipts, receipts.contains("\"actor\":\"gogo:"));
      assertEquals(
          "exactly one approval_decision receipt: " + receipts,
          1,
          receipts.split("\"approval_decision\"", -1).length - 1);
      assertTrue(run(session, "briefcase:verify").startsWith("ok: "));
      assertTrue(run(session, "briefcase:budgets").contains("write"));

      String list = run(session, "briefcase:plugins");
      assertTrue(list, list.contains("dev.briefcase.kernel"));
      // refusals carry the plugin service's stable code (core bundles: see ConsoleIT, which runs
      // the launcher that marks them)
      assertTrue(refused(session, "briefcase:plugin stop 999999").startsWith("not_found"));
      assertTrue(refused(session, "briefcase:plugin frobnicate 1").startsWith("invalid_request"));

      Path jar = Path.of(System.getProperty(CONNECTOR_JAR));
      PluginInfo installed = plugins.install(Files.newInputStream(jar), "itest");
      long cid = installed.bundleId();
      assertTrue(run(session, "briefcase:plugin stop " + cid).contains("(resolved)"));
      assertTrue(run(session, "briefcase:plugin start " + cid).contains("(active)"));
      String updated = run(session, "briefcase:plugin update " + cid + " " + jar);
      assertTrue(updated, updated.startsWith("updated " + cid));
      assertTrue(run(session, "briefcase:plugin uninstall " + cid).startsWith("uninstalled"));
      String lifecycle = run(session, "briefcase:receipts 20");
      assertTrue(lifecycle, lifecycle.contains("\"action\":\"uninstall\""));
      assertNotNull(lifecycle);
    } finally {
      session.close();
    }
  }
}
