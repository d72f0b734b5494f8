package dev.briefcase.x402;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.util.regex.Pattern;

/**
 * A {@code PAYMENT-RESPONSE} header (x402 v2): {@code {success, errorReason?, payer, transaction,
 * network}}.
 *
 * @param errorReason the facilitator's reason when {@code success} is false, else null
 */
public record PaymentResponse(
    boolean success, String errorReason, String payer, String transaction, String network) {

  /** The stable code of every refusal. */
  public static final String INVALID = "payment_response_invalid";

  private static final Pattern TX = Pattern.compile("0x[0-9a-fA-F]{64}");
  private static final Pattern REASON = Pattern.compile("[A-Za-z0-9_.:\\- ]{1,128}");

  /**
   * Parses a header value strictly: a successful answer must name a payer address, a transaction
   * hash (0x + 64 hex) and a network; a failed one may leave them empty.
   */
  public static PaymentResponse parse(String headerValue) throws PaymentException {
    ObjectNode root = HeaderCodec.decode(headerValue, INVALID, "PAYMENT-RESPONSE");
    Fields f = new Fields(INVALID, "PAYMENT-RESPONSE");
    if (root.get("success") == null || !root.get("success").isBoolean()) {
      throw f.bad("success must be a boolean");
    }
    boolean success = root.get("success").booleanValue();
    String reason = f.optionalString(root, "errorReason");
    if (!success) {
      return new PaymentResponse(
          false,
          reason,
          f.optionalString(root, "payer"),
          f.optionalString(root, "transaction"),
          f.optionalString(root, "network"));
    }
    String payer = f.address(root, "payer");
    String transaction = f.string(root, "transaction");
    if (!TX.matcher(transaction).matches()) {
      throw f.bad("transaction must be 0x and 32 bytes of hex");
    }
    return new PaymentResponse(true, reason, payer, transaction, f.string(root, "network"));
  }

  /**
   * The transaction hash, once the answer says the payment settled for this payer on this network.
   *
   * @throws PaymentException {@value #INVALID} when it failed or names another payer or network
   */
  public String check(String expectedPayer, String expectedNetwork) throws PaymentException {
    if (!success) {
      throw new PaymentException(INVALID, "the provider reports a failed settlement: " + reason());
    }
    if (!Eip3009.sameAddress(payer, expectedPayer)) {
      throw new PaymentException(INVALID, "the settlement names another payer");
    }
    if (!network.equals(expectedNetwork)) {
      throw new PaymentException(INVALID, "the settlement is on another network");
    }
    return transaction;
  }

  /**
   * {@link #errorReason()} when it is a short code-like text, else a fixed word: a provider's text
   * ends up in messages and must not smuggle anything else.
   */
  public String reason() {
    return safeReason(errorReason);
  }

  /** A provider's reason text when it is short and code-like, else {@code unspecified}. */
  public static String safeReason(String text) {
    return text != null && REASON.matcher(text).matches() ? text : "unspecified";
  }

  /** The header value for a server's answer. */
  public String encode() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("success", success);
    if (errorReason != null) {
      o.put("errorReason", errorReason);
    }
    o.put("payer", payer);
    o.put("transaction", transaction);
    o.put("network", network);
    return HeaderCodec.encode(o);
  }
}
