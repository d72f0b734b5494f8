package dev.briefcase.admin.api.internal;

import dev.briefcase.approvals.ApprovalException;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.EntitlementService;
import dev.briefcase.error.BriefcaseException;
import dev.briefcase.keys.KeyException;
import dev.briefcase.plugins.PluginException;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.signer.SignerException;
import dev.briefcase.store.StoreException;
import java.util.Map;

/**
 * The one table from error code to HTTP status for every admin route, whichever service raised the
 * code ({@link dev.briefcase.error.BriefcaseException#code()} or the API's own {@link HttpError}).
 * A code the table does not name is a refusal of the request (400); the codes the API families
 * declare are named here with their constants, and {@code ErrorStatusTest} checks that every
 * declared code either is in the table or is listed there as a client error.
 */
final class ErrorStatus {
  /** The status of a code the table does not name. */
  static final int REFUSED = 400;

  private static final Map<String, Integer> STATUS =
      Map.ofEntries(
          // the listener and the request itself
          Map.entry("unauthorized", 401),
          Map.entry(BriefcaseException.NOT_FOUND, 404),
          Map.entry("method_not_allowed", 405),
          Map.entry("invalid_host", 421),
          Map.entry("body_too_large", 413),
          Map.entry(PluginException.PLUGIN_TOO_LARGE, 413),
          // who may do it
          Map.entry(PluginException.CORE_BUNDLE, 403),
          Map.entry(ApprovalException.SIGNER_REQUIRED, 403),
          Map.entry(KeyException.SOFTWARE_KEYS_REFUSED, 403),
          Map.entry("fetch_refused", 403),
          Map.entry(KeyException.KEY_NOT_FOUND, 404),
          Map.entry(CredentialException.UNKNOWN_PROVIDER, 404),
          Map.entry(RevocationsResource.UNKNOWN_KIND, 404),
          // the state does not allow it
          Map.entry(PluginException.ALREADY_INSTALLED, 409),
          Map.entry(PluginException.NAME_MISMATCH, 409),
          Map.entry(KeyException.KEY_EXISTS, 409),
          Map.entry(CredentialException.PROVIDER_EXISTS, 409),
          Map.entry(CredentialException.TOO_MANY_LOGINS, 409),
          Map.entry(ApprovalException.ALREADY_DECIDED, 409),
          Map.entry(ApprovalException.TOO_MANY_PENDING, 409),
          Map.entry(ApprovalException.RATE_LIMITED, 409),
          // the server could not do it
          Map.entry(BriefcaseException.INTERNAL_ERROR, 500),
          Map.entry(StoreException.STORAGE_FAILED, 500),
          Map.entry("fetch_failed", 502),
          // the authorization server or resource is down, slow or answers nonsense
          Map.entry(CredentialException.OAUTH_UNAVAILABLE, 502),
          Map.entry(CredentialException.OAUTH_DISCOVERY_FAILED, 502),
          Map.entry("oauth_response_too_large", 502),
          Map.entry(EntitlementService.VC_ISSUE_FAILED, 502),
          Map.entry("receipt_unavailable", 503),
          Map.entry(BriefcaseException.BACKEND_UNAVAILABLE, 503),
          Map.entry("unavailable", 503),
          Map.entry("too_many_streams", 503),
          Map.entry(ReceiptException.RECEIPT_FAILED, 503),
          Map.entry(SecretStoreException.SECRET_STORE_UNAVAILABLE, 503),
          Map.entry(SecretStoreException.SECRET_TAMPERED, 503),
          Map.entry(SecretStoreException.WRONG_PASSPHRASE, 503),
          // a key directory backend (signer) that failed: not the caller's fault
          Map.entry(KeyException.SIGNER_ERROR, 503),
          Map.entry(SignerException.ACCESS_DENIED, 503),
          Map.entry(SignerException.CNG_ERROR, 503),
          Map.entry(SignerException.INVALID_CONFIG, 503),
          Map.entry(SignerException.KEY_CORRUPT, 503),
          Map.entry(SignerException.KEYCHAIN_ERROR, 503),
          Map.entry(SignerException.MODULE_NOT_FOUND, 503),
          Map.entry(SignerException.PIN_LOCKED, 503),
          Map.entry(SignerException.PIN_MISSING, 503),
          Map.entry(SignerException.SIGNING_FAILED, 503),
          Map.entry(SignerException.TOKEN_ERROR, 503),
          Map.entry(SignerException.TOKEN_NOT_FOUND, 503),
          Map.entry(SignerException.TPM_ERROR, 503),
          Map.entry(SignerException.UNKNOWN_HANDLE, 503),
          Map.entry(SignerException.WRONG_PIN, 503));

  private ErrorStatus() {}

  /** Whether the table names {@code code} (otherwise it answers {@link #REFUSED}). */
  static boolean names(String code) {
    return STATUS.containsKey(code);
  }

  /** The HTTP status answering {@code code}. */
  static int of(String code) {
    return STATUS.getOrDefault(code, REFUSED);
  }
}
