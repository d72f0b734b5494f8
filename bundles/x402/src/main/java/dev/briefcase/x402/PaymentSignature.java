package dev.briefcase.x402;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;

/**
 * A {@code PAYMENT-SIGNATURE} header (x402 v2): {@code {x402Version: 2, payload: {authorization,
 * signature}, resource?, accepted}}. The value is a bearer payment: never log or return it.
 *
 * @param resource the {@code resource} object, null when absent
 * @param accepted the offer the payer chose, as sent
 */
public record PaymentSignature(
    ObjectNode resource, ObjectNode accepted, Authorization authorization, String signature) {

  /** The stable code of every refusal (the server's rejection code). */
  public static final String INVALID = "payment_invalid";

  public PaymentSignature {
    resource = resource == null ? null : resource.deepCopy();
    accepted = accepted.deepCopy();
  }

  @Override
  public ObjectNode resource() {
    return resource == null ? null : resource.deepCopy();
  }

  @Override
  public ObjectNode accepted() {
    return accepted.deepCopy();
  }

  @Override
  public String toString() {
    // the signature is a spendable credential
    return "PaymentSignature[from="
        + authorization.from()
        + ", nonce="
        + authorization.nonce()
        + "]";
  }

  /**
   * The header value: standard base64 of the compact JSON, members in the reference client's order
   * (x402Version, payload, extensions, resource, accepted) and {@code accepted} copied verbatim.
   */
  public static String build(
      PaymentRequired required,
      ObjectNode accepted,
      Authorization authorization,
      String signature) {
    if (signature == null || !signature.matches("0x[0-9a-fA-F]{130}")) {
      throw new IllegalArgumentException("signature must be 65 bytes of 0x-hex");
    }
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    ObjectNode payload = nodes.objectNode();
    payload.set("authorization", authorization.toJson());
    payload.put("signature", signature);
    ObjectNode root = nodes.objectNode();
    root.put("x402Version", 2);
    root.set("payload", payload);
    if (required.extensions() != null) {
      root.set("extensions", required.extensions());
    }
    if (required.resource() != null) {
      root.set("resource", required.resource());
    }
    root.set("accepted", accepted.deepCopy());
    return HeaderCodec.encode(root);
  }

  /**
   * Parses a header value strictly (server side, or a client checking what its helper signed).
   *
   * @throws PaymentException {@value #INVALID} when it is oversized, not standard base64 of one
   *     JSON object, not version 2, or a member is missing or of the wrong type
   */
  public static PaymentSignature parse(String headerValue) throws PaymentException {
    ObjectNode root = HeaderCodec.decode(headerValue, INVALID, "PAYMENT-SIGNATURE");
    Fields f = new Fields(INVALID, "PAYMENT-SIGNATURE");
    if (f.integer(root, "x402Version") != 2) {
      throw f.bad("x402Version must be 2");
    }
    ObjectNode resource = f.optionalObject(root, "resource");
    ObjectNode accepted = f.object(root, "accepted");
    ObjectNode payload = f.object(root, "payload");
    Authorization authorization = Authorization.parse(f.object(payload, "authorization"), f);
    String signature = f.string(payload, "signature");
    if (!signature.matches("0x[0-9a-fA-F]{130}")) {
      throw f.bad("signature must be 65 bytes of 0x-hex");
    }
    return new PaymentSignature(resource, accepted, authorization, signature);
  }
}
