package dev.briefcase.x402;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An EIP-3009 {@code TransferWithAuthorization} as x402 carries it: numbers as decimal strings,
 * {@code nonce} as 0x-hex of 32 bytes, addresses as the signer wrote them.
 */
public record Authorization(
    String from,
    String to,
    BigInteger value,
    BigInteger validAfter,
    BigInteger validBefore,
    String nonce) {

  private static final Pattern NONCE = Pattern.compile("0x[0-9a-fA-F]{64}");

  public Authorization {
    if (!Fields.isAddress(from) || !Fields.isAddress(to)) {
      throw new IllegalArgumentException("from and to must be 20-byte 0x addresses");
    }
    if (nonce == null || !NONCE.matcher(nonce).matches()) {
      throw new IllegalArgumentException("nonce must be 0x and 32 bytes of hex");
    }
    for (BigInteger v : new BigInteger[] {value, validAfter, validBefore}) {
      if (v.signum() < 0 || v.compareTo(Fields.UINT256_MAX) > 0) {
        throw new IllegalArgumentException("values must be uint256");
      }
    }
  }

  /** The 32 nonce bytes. */
  public byte[] nonceBytes() {
    return HexFormat.of().parseHex(nonce.substring(2).toLowerCase(Locale.ROOT));
  }

  /** The JSON of {@code payload.authorization}, members in the reference client's order. */
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("from", from);
    o.put("to", to);
    o.put("value", value.toString());
    o.put("validAfter", validAfter.toString());
    o.put("validBefore", validBefore.toString());
    o.put("nonce", nonce);
    return o;
  }

  static Authorization parse(ObjectNode node, Fields f) throws PaymentException {
    String from = f.address(node, "from");
    String to = f.address(node, "to");
    BigInteger value = f.uint(node, "value");
    BigInteger after = f.uint(node, "validAfter");
    BigInteger before = f.uint(node, "validBefore");
    String nonce = f.string(node, "nonce");
    if (!NONCE.matcher(nonce).matches()) {
      throw f.bad("nonce must be 0x and 32 bytes of hex");
    }
    return new Authorization(from, to, value, after, before, nonce);
  }
}
