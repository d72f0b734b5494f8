package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Output analysis of SPEC §20, run after the firewall: signals and up to 32 lowercase hostnames for
 * the receipt — never the raw output.
 *
 * @param signals {@code prompt_injection_signals}, {@code url_like_output}
 * @param domains hostnames found in URLs of the output
 */
record OutputAnalysis(List<String> signals, List<String> domains) {
  static final int MAX_DOMAINS = 32;
  private static final Pattern URL = Pattern.compile("(?i)https?://[^\\s\"'<>]+");

  static OutputAnalysis of(JsonNode output) {
    BoundedStrings strings = BoundedStrings.of(output);
    List<String> signals = new ArrayList<>();
    Set<String> domains = new LinkedHashSet<>();
    boolean injection = false;
    boolean url = false;
    for (String s : strings.values) {
      injection |= RiskHeuristics.containsAny(s, RiskHeuristics.INJECTION);
      Matcher m = URL.matcher(s);
      while (m.find()) {
        url = true;
        String host = hostOf(m.group());
        if (host != null && domains.size() < MAX_DOMAINS) {
          domains.add(host);
        }
      }
    }
    if (injection) {
      signals.add("prompt_injection_signals");
    }
    if (url) {
      signals.add("url_like_output");
    }
    return new OutputAnalysis(signals, List.copyOf(domains));
  }

  private static String hostOf(String url) {
    try {
      String host = URI.create(url).getHost();
      return host == null ? null : host.toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
