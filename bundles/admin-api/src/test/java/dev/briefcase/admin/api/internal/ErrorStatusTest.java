package dev.briefcase.admin.api.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.briefcase.approvals.ApprovalException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.error.BriefcaseException;
import dev.briefcase.keys.KeyException;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.plugins.PluginException;
import dev.briefcase.policy.PolicyException;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.signer.SignerException;
import dev.briefcase.store.StoreException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.Test;

public class ErrorStatusTest {
  /** Every family exception of the API whose code constants can reach an admin answer. */
  private static final List<Class<? extends BriefcaseException>> FAMILIES =
      List.of(
          BriefcaseException.class,
          ApprovalException.class,
          CredentialException.class,
          KeyException.class,
          PaymentException.class,
          PluginException.class,
          PolicyException.class,
          ReceiptException.class,
          SecretStoreException.class,
          SignerException.class,
          StoreException.class,
          ToolException.class);

  /**
   * The declared codes that are meant to answer 400: the caller's input or the caller's choice is
   * refused. A code added to a family must either go into the {@link ErrorStatus} table or be added
   * here on purpose.
   */
  private static final Set<String> CLIENT_ERRORS =
      Set.of(
          BriefcaseException.INVALID_REQUEST,
          PolicyException.INVALID_CEDAR,
          KeyException.INVALID_ROLE,
          KeyException.INVALID_ALGORITHM,
          KeyException.INVALID_BACKEND,
          KeyException.UNSUPPORTED_ALGORITHM,
          PluginException.INVALID_BUNDLE,
          PluginException.MALFORMED_PLUGIN,
          PluginException.UNTRUSTED_PLUGIN,
          PluginException.START_FAILED,
          PluginException.STOP_FAILED,
          SecretStoreException.INVALID_SECRET_ID,
          SecretStoreException.INVALID_SECRET_BACKEND,
          SecretStoreException.SECRET_TOO_LARGE,
          // the operator's input or the login's state is refused (SPEC §8.1, §8.3, §9)
          CredentialException.INVALID_PROVIDER_ID,
          CredentialException.INVALID_BASE_URL,
          CredentialException.INVALID_ENDPOINT_URL,
          CredentialException.INVALID_REDIRECT_URI,
          CredentialException.UNKNOWN_OAUTH_STATE,
          CredentialException.OAUTH_STATE_MISMATCH,
          CredentialException.OAUTH_STATE_EXPIRED,
          CredentialException.MISSING_REFRESH_TOKEN,
          CredentialException.OAUTH_EXCHANGE_FAILED,
          CredentialException.OAUTH_REFRESH_FAILED,
          // step 8 codes travel inside a tool call's outcome (credential strategy), like
          // ToolException's
          CredentialException.CREDENTIAL_REVOKED,
          CredentialException.CREDENTIAL_EXPIRED,
          CredentialException.CREDENTIAL_REJECTED,
          CredentialException.CREDENTIAL_TARGET_REFUSED,
          CredentialException.INVALID_CREDENTIAL_NEED,
          CredentialException.INSUFFICIENT_SCOPE,
          CredentialException.DPOP_NONCE_REJECTED,
          CredentialException.INVALID_DPOP,
          CredentialException.REPLAY_DETECTED,
          CredentialException.MISSING_SECRET,
          CredentialException.INVALID_SECRET_VALUE,
          // signer conditions the table has never named; they answer 400 as they always have
          SignerException.KEYCHAIN_LOCKED,
          SignerException.SECURE_ENCLAVE_UNAVAILABLE,
          SignerException.TPM_AUTH_FAILED,
          SignerException.TPM_LOCKED_OUT,
          SignerException.TPM_UNAVAILABLE,
          SignerException.TPM_UNREACHABLE,
          // tool-call codes travel inside a call's outcome (SPEC §10), not as an admin error
          ToolException.SANDBOX_VIOLATION,
          ToolException.APPROVAL_REQUIRED,
          ToolException.UNKNOWN_TOOL,
          ToolException.INTERRUPTED,
          ToolException.CALLED_AFTER_DEACTIVATION,
          ToolException.DEACTIVATED_DURING_CALL,
          ToolException.IO_ERROR,
          ToolException.NOT_A_FILE,
          ToolException.WASM_MODULE_INVALID,
          ToolException.WASM_OUTPUT_INVALID,
          ToolException.WASM_RUNTIME_ERROR,
          ToolException.TOOL_FAILED);

  @Test
  public void everyDeclaredCodeHasAnIntendedStatus() throws IllegalAccessException {
    Set<String> declared = declaredCodes();
    assertTrue("the families declare their codes", declared.size() > 40);
    List<String> unplaced = new ArrayList<>();
    for (String code : declared) {
      if (ErrorStatus.names(code) == CLIENT_ERRORS.contains(code)) {
        unplaced.add(code);
      }
    }
    assertEquals(
        "codes neither in the table nor listed as client errors (or both)", List.of(), unplaced);
    for (String code : CLIENT_ERRORS) {
      assertTrue(code + " is a declared code", declared.contains(code));
      assertEquals(code, 400, ErrorStatus.of(code));
    }
  }

  @Test
  public void theTableNamesNoClientErrorAsAServerFailure() {
    for (String code : CLIENT_ERRORS) {
      assertFalse(code, ErrorStatus.names(code));
    }
  }

  @Test
  public void serverFailuresAreServerErrorsOnEveryRoute() {
    assertEquals(500, ErrorStatus.of("storage_failed"));
    assertEquals(500, ErrorStatus.of(StoreException.STORAGE_FAILED));
    assertEquals(500, ErrorStatus.of("internal_error"));
    assertEquals(503, ErrorStatus.of("receipt_failed"));
    assertEquals(503, ErrorStatus.of(ReceiptException.RECEIPT_FAILED));
    assertEquals(503, ErrorStatus.of("backend_unavailable"));
    assertEquals(503, ErrorStatus.of("secret_store_unavailable"));
    assertEquals(503, ErrorStatus.of("tpm_error"));
    assertEquals(503, ErrorStatus.of("too_many_streams"));
    assertEquals(502, ErrorStatus.of("fetch_failed"));
  }

  @Test
  public void oneCodeOneStatus() {
    assertEquals(404, ErrorStatus.of("not_found"));
    assertEquals(401, ErrorStatus.of("unauthorized"));
    assertEquals(405, ErrorStatus.of("method_not_allowed"));
    assertEquals(421, ErrorStatus.of("invalid_host"));
    assertEquals(413, ErrorStatus.of("body_too_large"));
    assertEquals(403, ErrorStatus.of("core_bundle"));
    assertEquals(409, ErrorStatus.of("already_decided"));
    assertEquals(409, ErrorStatus.of("key_exists"));
    assertEquals(404, ErrorStatus.of("unknown_provider"));
    assertEquals(409, ErrorStatus.of("provider_exists"));
    assertEquals(502, ErrorStatus.of("oauth_unavailable"));
  }

  @Test
  public void aCodeTheTableDoesNotNameIsARefusal() {
    assertEquals(400, ErrorStatus.of("invalid_request"));
    assertEquals(400, ErrorStatus.of("untrusted_plugin"));
    assertEquals(400, ErrorStatus.of("invalid_cedar"));
    assertEquals(400, ErrorStatus.of("secret_too_large"));
  }

  /** The public String constants of every family (inherited ones included): its codes. */
  private static Set<String> declaredCodes() throws IllegalAccessException {
    Set<String> codes = new TreeSet<>();
    for (Class<?> family : FAMILIES) {
      for (Field f : family.getFields()) {
        int m = f.getModifiers();
        if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == String.class) {
          codes.add((String) f.get(null));
        }
      }
    }
    return codes;
  }
}
