package dev.briefcase.console.internal;

import dev.briefcase.approvals.ApprovalGrant;
import dev.briefcase.budgets.Budget;
import dev.briefcase.error.BriefcaseException;
import dev.briefcase.plugins.PluginInfo;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.tools.ApprovalRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands in scope {@code briefcase}, the same actions as the console pages and through the
 * same kernel services, with actor {@code gogo:<OS user>}: {@code plugins}, {@code plugin
 * start|stop|uninstall <id>}, {@code plugin update <id> <jar>}, {@code approvals}, {@code approve
 * <id>}, {@code deny <id>}, {@code receipts [n]}, {@code verify}, {@code budgets}. A refusal is an
 * exception whose message starts with the stable code.
 */
@Component(
    service = BriefcaseCommands.class,
    property = {
      "osgi.command.scope=briefcase",
      "osgi.command.function=plugins",
      "osgi.command.function=plugin",
      "osgi.command.function=approvals",
      "osgi.command.function=approve",
      "osgi.command.function=deny",
      "osgi.command.function=receipts",
      "osgi.command.function=verify",
      "osgi.command.function=budgets"
    })
public final class BriefcaseCommands {
  private final ConsoleActions actions;
  private final String actor;

  @Activate
  public BriefcaseCommands(@Reference ConsoleActions actions) {
    this.actions = actions;
    String user = System.getProperty("user.name", "unknown");
    this.actor = "gogo:" + (user.length() > 64 ? user.substring(0, 64) : user);
  }

  /** {@code briefcase:plugins}: one line per bundle. */
  public String plugins() throws ConsoleException {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            "%-5s %-10s %-45s %-16s %-10s %-9s %s%n",
            "ID", "FAMILY", "BUNDLE", "VERSION", "TRUST", "STATE", "PLUGIN IDS"));
    for (ConsoleActions.PluginRow r : actions.plugins()) {
      PluginInfo p = r.info();
      s.append(
          String.format(
              "%-5d %-10s %-45s %-16s %-10s %-9s %s%n",
              p.bundleId(),
              p.families().isEmpty() ? (p.core() ? "core" : "-") : String.join(",", p.families()),
              p.symbolicName(),
              p.version(),
              r.trust(),
              p.state(),
              String.join(",", p.pluginIds())));
    }
    return s.toString();
  }

  /** {@code briefcase:plugin start|stop|uninstall <bundle id>}. */
  public String plugin(String action, long bundleId) throws ConsoleException {
    try {
      return pluginAction(action, bundleId);
    } catch (BriefcaseException e) {
      throw coded(e);
    }
  }

  private String pluginAction(String action, long bundleId) throws ConsoleException {
    return switch (action) {
      case "start" -> line("started", actions.start(bundleId, actor));
      case "stop" -> line("stopped", actions.stop(bundleId, actor));
      case "uninstall" -> {
        actions.uninstall(bundleId, actor);
        yield "uninstalled " + bundleId;
      }
      default ->
          throw new ConsoleException(
              "invalid_request",
              "invalid_request: use plugin start|stop|uninstall <id> or plugin update <id> <jar>");
    };
  }

  /** {@code briefcase:plugin update <bundle id> <jar path>}. */
  public String plugin(String action, long bundleId, String jar)
      throws ConsoleException, IOException {
    if (!"update".equals(action)) {
      throw coded(new ConsoleException("invalid_request", "only update takes a jar"));
    }
    try (InputStream in = Files.newInputStream(Path.of(jar))) {
      return line("updated", actions.update(bundleId, in, actor));
    } catch (BriefcaseException e) {
      throw coded(e);
    }
  }

  /** {@code briefcase:approvals}: pending requests, newest first. */
  public String approvals() throws ConsoleException {
    List<ApprovalRequest> pending = actions.pendingApprovals();
    if (pending.isEmpty()) {
      return "no pending approvals";
    }
    StringBuilder s = new StringBuilder();
    for (ApprovalRequest a : pending) {
      s.append(a.id())
          .append("  ")
          .append(a.toolId())
          .append("  ")
          .append(a.reason())
          .append("  expires ")
          .append(a.expiresAt())
          .append("\n    args ")
          .append(a.summary().path("args_preview").asText(""))
          .append(
              ApprovalsPage.argsWarning(a.summary()).isEmpty()
                  ? ""
                  : "\n    " + ApprovalsPage.argsWarning(a.summary()))
          .append("\n    args_hash ")
          .append(a.summary().path("args_hash").asText(""))
          .append('\n');
    }
    return s.toString();
  }

  /** {@code briefcase:approve <id>}. */
  public String approve(String id) throws ConsoleException {
    ApprovalGrant g;
    try {
      g = actions.grant(id, actor);
    } catch (BriefcaseException e) {
      throw coded(e);
    }
    // the operator at the shell is the approver: the one place the token is shown
    return "approved "
        + g.request().id()
        + " ("
        + g.request().toolId()
        + ")\napproval token: "
        + g.token().reveal();
  }

  /** {@code briefcase:deny <id>}. */
  public String deny(String id) throws ConsoleException {
    ApprovalRequest r = decide(id, false);
    return "denied " + r.id() + " (" + r.toolId() + ")";
  }

  private ApprovalRequest decide(String id, boolean approve) throws ConsoleException {
    try {
      return actions.decide(id, approve, actor);
    } catch (BriefcaseException e) {
      throw coded(e);
    }
  }

  /** The same refusal with its stable code in front of the message, as Gogo prints only that. */
  private static ConsoleException coded(BriefcaseException e) {
    return new ConsoleException(e.code(), e.code() + ": " + e.getMessage());
  }

  /** {@code briefcase:receipts}: the 20 newest receipts. */
  public String receipts() throws ConsoleException {
    return receipts(20);
  }

  /** {@code briefcase:receipts <n>}: the n newest receipts (at most 500). */
  public String receipts(int n) throws ConsoleException {
    StringBuilder s = new StringBuilder();
    for (Receipt r : actions.receipts(n)) {
      s.append(r.id()).append(' ').append(ConsoleActions.compact(r.event())).append('\n');
    }
    return s.toString();
  }

  /** {@code briefcase:verify}: walks the whole chain. */
  public String verify() throws ConsoleException {
    VerifyResult v = actions.verify();
    if (v.ok()) {
      return "ok: " + v.count() + " receipts, head " + v.headHashHex();
    }
    throw new ConsoleException(
        "chain_broken",
        "chain_broken: receipt "
            + v.firstBadId()
            + " ("
            + v.reason()
            + "), "
            + v.count()
            + " checked");
  }

  /** {@code briefcase:budgets}: today's spend and the daily limit per category, in USD. */
  public String budgets() throws ConsoleException {
    StringBuilder s = new StringBuilder();
    for (Budget b : actions.budgets()) {
      s.append(
          String.format(
              "%-12s spent %s of %s USD%n",
              b.category(),
              BudgetChart.usd(b.spentTodayMicroUsd()),
              BudgetChart.usd(b.dailyLimitMicroUsd())));
    }
    return s.toString();
  }

  private static String line(String verb, PluginInfo p) {
    return verb
        + " "
        + p.bundleId()
        + " "
        + p.symbolicName()
        + " "
        + p.version()
        + " ("
        + p.state()
        + ")";
  }
}
