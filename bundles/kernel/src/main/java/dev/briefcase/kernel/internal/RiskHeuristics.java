package dev.briefcase.kernel.internal;

import dev.briefcase.risk.RiskAssessor;
import dev.briefcase.risk.RiskVerdict;
import dev.briefcase.tools.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * The built-in risk heuristics of SPEC §20: any hit asks for a local approval. Advisory only — the
 * pipeline lets a verdict add an approval, never remove one.
 */
@Component(property = RiskAssessor.ID + "=heuristics")
public final class RiskHeuristics implements RiskAssessor {
  static final List<String> INJECTION =
      List.of(
          "ignore previous instructions",
          "ignore all previous instructions",
          "system prompt",
          "developer message",
          "jailbreak");
  static final List<String> SENSITIVE =
      List.of(
          "api key",
          "access token",
          "refresh token",
          "private key",
          "password",
          "secret",
          "ssn",
          "credit card");
  static final Set<String> SUSPICIOUS_KEYS =
      Set.of("url", "uri", "endpoint", "host", "headers", "authorization");

  @Override
  public RiskVerdict assess(ToolSpec tool, Map<String, Object> args) {
    BoundedStrings strings = BoundedStrings.of(PlainJson.node(args));
    List<String> reasons = new ArrayList<>();
    List<String> all = new ArrayList<>(strings.values);
    all.addAll(strings.keys);
    if (strings.values.stream().anyMatch(RiskHeuristics::urlLike)) {
      reasons.add("url_like_input");
    }
    if (all.stream().anyMatch(s -> containsAny(s, INJECTION))) {
      reasons.add("prompt_injection_signals");
    }
    if (all.stream().anyMatch(s -> containsAny(s, SENSITIVE))) {
      reasons.add("sensitive_terms");
    }
    if (strings.keys.stream().anyMatch(k -> SUSPICIOUS_KEYS.contains(k.toLowerCase(Locale.ROOT)))) {
      reasons.add("suspicious_arg_keys");
    }
    return reasons.isEmpty() ? RiskVerdict.NONE : new RiskVerdict(true, reasons);
  }

  static boolean urlLike(String s) {
    String lower = s.toLowerCase(Locale.ROOT);
    return lower.contains("http://") || lower.contains("https://");
  }

  static boolean containsAny(String s, List<String> needles) {
    String lower = s.toLowerCase(Locale.ROOT);
    for (String n : needles) {
      if (lower.contains(n)) {
        return true;
      }
    }
    return false;
  }
}
