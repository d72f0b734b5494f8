package dev.briefcase.runtime.launcher;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

/**
 * {@code BRIEFCASE_PAYMENT_HELPER} (program and arguments, e.g. {@code
 * /opt/briefcase/bin/briefcase-pay --config /etc/briefcase/pay.json}) becomes the {@code
 * helper_command} of both payment rails (PAYMENTS §5), so that no bundle reads the environment. The
 * launcher copies the variable to the framework property {@code briefcase.payment.helper}; this
 * splits it into words the way a POSIX shell would for quotes and backslashes (no expansion:
 * nothing of it is ever run by a shell).
 */
public final class PaymentHelperCommand {
  /** The framework property the launcher sets from {@code BRIEFCASE_PAYMENT_HELPER}. */
  public static final String PROPERTY = "briefcase.payment.helper";

  /** The rails that pay through the helper. */
  public static final List<String> RAIL_PIDS =
      List.of("dev.briefcase.rail.x402", "dev.briefcase.rail.l402");

  private PaymentHelperCommand() {}

  /**
   * Splits {@code value} into words: whitespace separates, single quotes keep everything, double
   * quotes keep everything but {@code \"} and {@code \\}, a backslash outside quotes escapes the
   * next character.
   *
   * @throws IllegalArgumentException on an unclosed quote or a trailing backslash
   */
  public static List<String> split(String value) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\'') {
        int end = value.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unclosed single quote");
        }
        word.append(value, i + 1, end);
        inWord = true;
        i = end;
      } else if (c == '"') {
        int j = i + 1;
        for (; j < value.length() && value.charAt(j) != '"'; j++) {
          char d = value.charAt(j);
          if (d == '\\'
              && j + 1 < value.length()
              && (value.charAt(j + 1) == '"' || value.charAt(j + 1) == '\\')) {
            j++;
            d = value.charAt(j);
          }
          word.append(d);
        }
        if (j >= value.length()) {
          throw new IllegalArgumentException("unclosed double quote");
        }
        inWord = true;
        i = j;
      } else if (c == '\\') {
        if (i + 1 >= value.length()) {
          throw new IllegalArgumentException("trailing backslash");
        }
        word.append(value.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /**
   * Sets {@code helper_command} of both rails from {@code properties} when the helper is
   * configured; a rail without a feature configuration gets one with only that setting. Unset or
   * blank: the configurations are left alone (the rails then refuse with {@code
   * payment_helper_unavailable}).
   */
  public static void apply(
      Map<ConfigurationPid, Hashtable<String, Object>> configurations,
      Map<String, String> properties) {
    String value = properties.get(PROPERTY);
    if (value == null || value.isBlank()) {
      return;
    }
    String[] command = split(value).toArray(new String[0]);
    for (String pid : RAIL_PIDS) {
      configurations
          .computeIfAbsent(new ConfigurationPid(null, pid), k -> new Hashtable<>())
          .put("helper_command", command);
    }
  }
}
