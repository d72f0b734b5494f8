package dev.briefcase.admin.api.internal;

import java.util.Map;

/**
 * The one table from error code to HTTP status for every admin route, whichever service raised the
 * code. A code the table does not name is a refusal of the request (400): services invent refusal
 * codes (plugin trust verdicts, budget checks, Cedar validation), while the server-side failures
 * they can report are all named here.
 */
final class ErrorStatus {
  /** The status of a code the table does not name. */
  static final int REFUSED = 400;

  private static final Map<String, Integer> STATUS =
      Map.ofEntries(
          // the listener and the request itself
          Map.entry("unauthorized", 401),
          Map.entry("not_found", 404),
          Map.entry("method_not_allowed", 405),
          Map.entry("invalid_host", 421),
          Map.entry("body_too_large", 413),
          Map.entry("plugin_too_large", 413),
          // who may do it
          Map.entry("core_bundle", 403),
          Map.entry("signer_required", 403),
          Map.entry("software_keys_refused", 403),
          Map.entry("fetch_refused", 403),
          Map.entry("key_not_found", 404),
          // the state does not allow it
          Map.entry("already_installed", 409),
          Map.entry("name_mismatch", 409),
          Map.entry("key_exists", 409),
          Map.entry("already_decided", 409),
          Map.entry("too_many_pending_approvals", 409),
          Map.entry("approval_rate_limited", 409),
          // the server could not do it
          Map.entry("internal_error", 500),
          Map.entry("storage_failed", 500),
          Map.entry("fetch_failed", 502),
          Map.entry("backend_unavailable", 503),
          Map.entry("unavailable", 503),
          Map.entry("too_many_streams", 503),
          Map.entry("receipt_failed", 503),
          Map.entry("secret_store_unavailable", 503),
          Map.entry("secret_tampered", 503),
          Map.entry("wrong_passphrase", 503),
          // a key directory backend (signer) that failed: not the caller's fault
          Map.entry("signer_error", 503),
          Map.entry("access_denied", 503),
          Map.entry("cng_error", 503),
          Map.entry("invalid_config", 503),
          Map.entry("key_corrupt", 503),
          Map.entry("keychain_error", 503),
          Map.entry("module_not_found", 503),
          Map.entry("pin_locked", 503),
          Map.entry("pin_missing", 503),
          Map.entry("signing_failed", 503),
          Map.entry("token_error", 503),
          Map.entry("token_not_found", 503),
          Map.entry("tpm_error", 503),
          Map.entry("unknown_handle", 503),
          Map.entry("wrong_pin", 503));

  private ErrorStatus() {}

  /** The HTTP status answering {@code code}. */
  static int of(String code) {
    return STATUS.getOrDefault(code, REFUSED);
  }
}
