package dev.briefcase.x402;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code PAYMENT-REQUIRED} header (x402 v2): {@code {x402Version: 2, error?, resource?,
 * accepts[], extensions?}}.
 *
 * @param headerValue the header exactly as received (the payment helper re-parses it)
 * @param error the server's {@code error} text, null when absent (public, never a secret)
 * @param resource the {@code resource} object, null when absent
 * @param extensions the {@code extensions} object, null when absent
 */
public record PaymentRequired(
    String headerValue,
    String error,
    ObjectNode resource,
    List<Offer> accepts,
    ObjectNode extensions) {

  /** The stable code of every refusal. */
  public static final String INVALID = "payment_challenge_invalid";

  public PaymentRequired {
    accepts = List.copyOf(accepts);
    resource = resource == null ? null : resource.deepCopy();
    extensions = extensions == null ? null : extensions.deepCopy();
  }

  @Override
  public ObjectNode resource() {
    return resource == null ? null : resource.deepCopy();
  }

  @Override
  public ObjectNode extensions() {
    return extensions == null ? null : extensions.deepCopy();
  }

  /**
   * Parses one header value strictly.
   *
   * @throws PaymentException {@value #INVALID} when it is oversized, not standard base64 of one
   *     JSON object, not version 2, or any member has the wrong JSON type
   */
  public static PaymentRequired parse(String headerValue) throws PaymentException {
    ObjectNode root = HeaderCodec.decode(headerValue, INVALID, "PAYMENT-REQUIRED");
    Fields f = new Fields(INVALID, "PAYMENT-REQUIRED");
    if (f.integer(root, "x402Version") != 2) {
      throw f.bad("x402Version must be 2");
    }
    String error = f.optionalString(root, "error");
    ObjectNode resource = f.optionalObject(root, "resource");
    if (resource != null) {
      f.string(resource, "url");
      f.optionalString(resource, "description");
      f.optionalString(resource, "mimeType");
    }
    ObjectNode extensions = f.optionalObject(root, "extensions");
    JsonNode accepts = root.get("accepts");
    // an empty array is a challenge without an offer (the server says why in `error`): valid,
    // and nothing to pay
    if (accepts == null || !accepts.isArray()) {
      throw f.bad("accepts must be an array");
    }
    List<Offer> offers = new ArrayList<>();
    for (JsonNode entry : accepts) {
      if (!(entry instanceof ObjectNode offer)) {
        throw f.bad("every accepts entry must be an object");
      }
      offers.add(Offer.parse(offer, f));
    }
    return new PaymentRequired(headerValue, error, resource, offers, extensions);
  }
}
