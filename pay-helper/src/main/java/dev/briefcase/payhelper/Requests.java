package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Set;

/** Field checks for requests: every failure is {@code payment_request_invalid}. */
final class Requests {
  private Requests() {}

  static void onlyFields(ObjectNode request, Set<String> allowed) throws HelperException {
    for (Iterator<String> it = request.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw invalid("unknown field " + printable(name));
      }
    }
  }

  static String text(ObjectNode request, String name, int maxLength) throws HelperException {
    JsonNode v = request.get(name);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw invalid(name + " must be a non-empty string");
    }
    if (v.asText().length() > maxLength) {
      throw invalid(name + " is too long");
    }
    return v.asText();
  }

  /** A decimal string (no sign, no leading zeros) of at most 78 digits. */
  static BigInteger decimal(ObjectNode request, String name) throws HelperException {
    JsonNode v = request.get(name);
    if (v == null || !v.isTextual() || !v.asText().matches("0|[1-9][0-9]{0,77}")) {
      throw invalid(name + " must be a decimal string");
    }
    return new BigInteger(v.asText());
  }

  static long nonNegativeLong(ObjectNode request, String name) throws HelperException {
    JsonNode v = request.get(name);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw invalid(name + " must be a non-negative integer");
    }
    return v.asLong();
  }

  static HelperException invalid(String message) {
    return new HelperException(HelperException.REQUEST_INVALID, message);
  }

  /** A field name as it may appear in a message: short, printable ASCII only. */
  static String printable(String s) {
    String clean = s.replaceAll("[^A-Za-z0-9_.-]", "?");
    return clean.length() > 40 ? clean.substring(0, 40) + "…" : clean;
  }
}
