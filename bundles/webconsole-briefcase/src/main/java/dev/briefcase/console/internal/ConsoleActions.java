package dev.briefcase.console.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.approvals.ApprovalGrant;
import dev.briefcase.approvals.ApprovalService;
import dev.briefcase.budgets.Budget;
import dev.briefcase.budgets.BudgetService;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.payment.PaymentHistory;
import dev.briefcase.payment.PaymentRecord;
import dev.briefcase.plugins.PluginInfo;
import dev.briefcase.plugins.PluginService;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.tools.ApprovalRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Every action of the console pages and the Gogo commands, each through a kernel service with the
 * operator as actor ({@code console:<user>}, {@code gogo:<user>}). The kernel services are looked
 * up per call (optional, dynamic): a missing one is {@code unavailable}, never a stale instance.
 * Plugin changes are receipted by the plugin service and approval decisions ({@code
 * approval_decision}) by the approval service; nothing here writes a receipt.
 */
@Component(service = ConsoleActions.class)
public final class ConsoleActions {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  volatile PluginService plugins;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  volatile ApprovalService approvals;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  volatile ReceiptLog receipts;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  volatile BudgetService budgets;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  volatile CredentialService credentials;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  volatile PaymentHistory payments;

  /** A plugin as the console shows it: the bundle plus the trust verdict of its last change. */
  record PluginRow(PluginInfo info, String trust, String signer) {}

  /** Every installed bundle, with signer and trust from its newest lifecycle receipt. */
  List<PluginRow> plugins() throws ConsoleException {
    List<PluginInfo> list = need(plugins, "plugin service").list();
    Map<String, String[]> verdicts = new HashMap<>();
    ReceiptLog log = receipts;
    if (log != null) {
      for (Receipt r : log.list(500, 0)) {
        ObjectNode e = r.event();
        if (!"plugin_lifecycle".equals(e.path("type").asText())
            || e.path("action").asText().startsWith("refused_")
            || !e.has("trust")) {
          continue;
        }
        verdicts.putIfAbsent(
            e.path("bundle").asText(),
            new String[] {e.path("trust").asText(), e.path("signer").asText(null)});
      }
    }
    List<PluginRow> out = new ArrayList<>();
    for (PluginInfo p : list) {
      String[] v = verdicts.get(p.symbolicName());
      out.add(
          new PluginRow(
              p, v == null ? (p.core() ? "core" : "unknown") : v[0], v == null ? null : v[1]));
    }
    return out;
  }

  PluginInfo start(long bundleId, String actor) throws ConsoleException {
    return need(plugins, "plugin service").start(bundleId, actor);
  }

  PluginInfo stop(long bundleId, String actor) throws ConsoleException {
    return need(plugins, "plugin service").stop(bundleId, actor);
  }

  PluginInfo update(long bundleId, InputStream jar, String actor) throws ConsoleException {
    return need(plugins, "plugin service").update(bundleId, jar, actor);
  }

  void uninstall(long bundleId, String actor) throws ConsoleException {
    need(plugins, "plugin service").uninstall(bundleId, actor);
  }

  List<ApprovalRequest> pendingApprovals() throws ConsoleException {
    return need(approvals, "approval service").pending();
  }

  /**
   * Approves or denies as {@code actor}; the approval service writes the {@code approval_decision}
   * receipt naming it.
   */
  ApprovalRequest decide(String approvalId, boolean approve, String actor) throws ConsoleException {
    if (approve) {
      return grant(approvalId, actor).request();
    }
    if (approvalId == null || approvalId.isBlank() || approvalId.length() > 64) {
      throw new ConsoleException("invalid_request", "an approval id is required");
    }
    ApprovalService service = need(approvals, "approval service");
    return service.deny(approvalId, actor);
  }

  /**
   * Approves as {@code actor} and returns the approval token issued for the principal that asked;
   * the operator is the only one shown it (SPEC §4 Δ 2026-12).
   */
  ApprovalGrant grant(String approvalId, String actor) throws ConsoleException {
    if (approvalId == null || approvalId.isBlank() || approvalId.length() > 64) {
      throw new ConsoleException("invalid_request", "an approval id is required");
    }
    ApprovalService service = need(approvals, "approval service");
    return service.grant(approvalId, actor);
  }

  List<Receipt> receipts(int limit) throws ConsoleException {
    return need(receipts, "receipt log").list(Math.max(1, Math.min(limit, 500)), 0);
  }

  VerifyResult verify() throws ConsoleException {
    return need(receipts, "receipt log").verify();
  }

  long export(Writer out) throws ConsoleException, IOException {
    return need(receipts, "receipt log").export(0, out);
  }

  List<Budget> budgets() throws ConsoleException {
    return need(budgets, "budget service").list();
  }

  /** The newest payments (at most {@code limit}), metadata only. */
  List<PaymentRecord> payments(int limit) throws ConsoleException {
    return need(payments, "payment history").list(null, null, limit, 0);
  }

  /** Every registered provider, never a value. */
  List<ProviderStatus> providers() {
    return need(credentials, "credential service").list();
  }

  /** Opens a login whose redirect is the console's own callback. */
  LoginStart loginStart(String providerId, URI redirect) {
    return need(credentials, "credential service").start(providerId, redirect);
  }

  /** Completes a login; the credential service checks the state and receipts the outcome. */
  LoginResult loginExchange(String providerId, String code, String state, String iss) {
    return need(credentials, "credential service").exchange(providerId, code, state, iss);
  }

  /** A receipt event as one line of compact JSON. */
  static String compact(JsonNode event) {
    try {
      return JSON.writeValueAsString(event);
    } catch (IOException e) {
      return "{}";
    }
  }

  private static <T> T need(T service, String name) throws ConsoleException {
    if (service == null) {
      throw new ConsoleException("unavailable", "the " + name + " is not available");
    }
    return service;
  }
}
