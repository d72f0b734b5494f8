package dev.briefcase.admin.api.internal;

import dev.briefcase.approvals.ApprovalService;
import dev.briefcase.budgets.BudgetService;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.manifests.ManifestService;
import dev.briefcase.plugins.PluginService;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.tools.ToolCallService;
import java.util.function.Supplier;
import org.osgi.service.component.ComponentServiceObjects;

/**
 * The kernel services behind the admin API, read from the component's dynamic references on every
 * call: a missing one is {@code null} here, and {@link #need} turns that into 503 {@code
 * backend_unavailable}.
 */
record Backends(
    Supplier<ToolCallService> tools,
    Supplier<ApprovalService> approvals,
    Supplier<BudgetService> budgets,
    Supplier<ReceiptLog> receipts,
    Supplier<PolicyEngine> policy,
    Supplier<PluginService> plugins,
    Supplier<EgressClient> egress,
    Supplier<ManifestService> manifests,
    Supplier<KeyDirectory> keys,
    Supplier<ComponentServiceObjects<SecretStore>> secrets,
    Supplier<ComponentServiceObjects<CredentialService>> credentials) {

  /** The service, or 503 {@code backend_unavailable} naming {@code what}. */
  static <T> T need(Supplier<T> service, String what) throws HttpError {
    T s = service.get();
    if (s == null) {
      throw HttpError.unavailable(what);
    }
    return s;
  }
}
