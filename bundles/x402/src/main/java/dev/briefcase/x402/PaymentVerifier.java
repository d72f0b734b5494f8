package dev.briefcase.x402;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The server's checks of SPEC §14.1 on a parsed {@code PAYMENT-SIGNATURE}, short of the nonce store
 * and the facilitator: terms, recipient, value, validity window and signer.
 */
public final class PaymentVerifier {
  public static final String TERMS_MISMATCH = "payment_terms_mismatch";
  public static final String INVALID = PaymentSignature.INVALID;

  /** The reference facilitator wants at least this much time left on an authorisation. */
  public static final long MIN_SECONDS_LEFT = 6;

  private PaymentVerifier() {}

  /** The offer paid and the address that signed. */
  public record Verified(Offer offer, String payer) {}

  /**
   * @param offers what the server asked for (its own {@code accepts})
   * @param now the server's clock
   * @throws PaymentException {@value #TERMS_MISMATCH} when {@code accepted} is none of the offers
   *     (deep-equal, except that its {@code extra} only has to contain the offer's), {@value
   *     #INVALID} when recipient, value or window differ or the signer is not {@code from}
   */
  public static Verified verify(PaymentSignature payment, List<Offer> offers, Instant now)
      throws PaymentException {
    Offer offer = matching(payment.accepted(), offers);
    Authorization a = payment.authorization();
    if (!Eip3009.sameAddress(a.to(), offer.payTo())) {
      throw new PaymentException(INVALID, "the authorisation pays another recipient");
    }
    if (!a.value().equals(offer.amount())) {
      throw new PaymentException(INVALID, "the authorisation's value is not the offer's amount");
    }
    BigInteger seconds = BigInteger.valueOf(now.getEpochSecond());
    if (a.validAfter().compareTo(seconds) > 0) {
      throw new PaymentException(INVALID, "the authorisation is not valid yet");
    }
    if (a.validBefore().compareTo(seconds.add(BigInteger.valueOf(MIN_SECONDS_LEFT))) < 0) {
      throw new PaymentException(INVALID, "the authorisation expires too soon");
    }
    if (offer.chainId() == null || offer.extraName() == null || offer.extraVersion() == null) {
      throw new PaymentException(TERMS_MISMATCH, "the offer is not an EIP-3009 offer");
    }
    byte[] digest = Eip3009.digest(Eip3009.Domain.of(offer), a);
    String signer = Eip3009.recover(digest, payment.signature());
    if (!Eip3009.sameAddress(signer, a.from())) {
      throw new PaymentException(INVALID, "the signature is not from the authorisation's payer");
    }
    return new Verified(offer, signer);
  }

  private static Offer matching(ObjectNode accepted, List<Offer> offers) throws PaymentException {
    for (Offer offer : offers) {
      if (sameTerms(accepted, offer.node())) {
        return offer;
      }
    }
    throw new PaymentException(TERMS_MISMATCH, "accepted matches none of the offers");
  }

  static boolean sameTerms(ObjectNode accepted, ObjectNode offer) {
    ObjectNode a = accepted.deepCopy();
    ObjectNode o = offer.deepCopy();
    JsonNode aExtra = a.remove("extra");
    JsonNode oExtra = o.remove("extra");
    if (!a.equals(o)) {
      return false;
    }
    if (oExtra == null) {
      return true;
    }
    if (aExtra == null || !aExtra.isObject() || !oExtra.isObject()) {
      return false;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = oExtra.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().equals(aExtra.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
