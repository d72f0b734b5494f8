package dev.briefcase.x402;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;
import java.util.regex.Pattern;

/** Strict JSON member readers: a member of the wrong JSON type is an error, never coerced. */
final class Fields {
  private static final Pattern UINT = Pattern.compile("0|[1-9][0-9]{0,77}");
  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
  static final BigInteger UINT256_MAX = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

  private final String code;
  private final String what;

  Fields(String code, String what) {
    this.code = code;
    this.what = what;
  }

  PaymentException bad(String message) {
    return new PaymentException(code, what + ": " + message);
  }

  String string(ObjectNode node, String name) throws PaymentException {
    JsonNode v = node.get(name);
    if (v == null || !v.isTextual()) {
      throw bad(name + " must be a string");
    }
    return v.textValue();
  }

  /** Null when absent; an error when present with another type. */
  String optionalString(ObjectNode node, String name) throws PaymentException {
    JsonNode v = node.get(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw bad(name + " must be a string");
    }
    return v.textValue();
  }

  ObjectNode object(ObjectNode node, String name) throws PaymentException {
    JsonNode v = node.get(name);
    if (!(v instanceof ObjectNode o)) {
      throw bad(name + " must be an object");
    }
    return o;
  }

  ObjectNode optionalObject(ObjectNode node, String name) throws PaymentException {
    return node.get(name) == null ? null : object(node, name);
  }

  /** An integral JSON number (not a string, not 2.0). */
  long integer(ObjectNode node, String name) throws PaymentException {
    JsonNode v = node.get(name);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw bad(name + " must be an integer number");
    }
    return v.longValue();
  }

  /** A uint256 written as a decimal string ("10000"; not 10000, "-1", "1.5" or "0x10"). */
  BigInteger uint(ObjectNode node, String name) throws PaymentException {
    String s = string(node, name);
    if (!UINT.matcher(s).matches()) {
      throw bad(name + " must be a decimal integer string");
    }
    BigInteger value = new BigInteger(s);
    if (value.compareTo(UINT256_MAX) > 0) {
      throw bad(name + " is larger than uint256");
    }
    return value;
  }

  String address(ObjectNode node, String name) throws PaymentException {
    String s = string(node, name);
    if (!isAddress(s)) {
      throw bad(name + " must be a 0x-prefixed 20-byte address");
    }
    return s;
  }

  static boolean isAddress(String s) {
    return s != null && ADDRESS.matcher(s).matches();
  }
}
