package dev.briefcase.l402;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code L402} (or legacy {@code LSAT}) challenge from a {@code WWW-Authenticate} header:
 * {@code L402 macaroon="<b64>", invoice="<bolt11>"}.
 *
 * @param scheme {@code L402} or {@code LSAT} (upper case, as the client should answer)
 * @param macaroon the macaroon as received (base64)
 * @param invoice the BOLT11 invoice as received
 */
public record L402Challenge(String scheme, String macaroon, String invoice) {
  /** Longest header value scanned. */
  public static final int MAX_VALUE = 64 * 1024;

  /** Never prints the macaroon: it becomes a bearer credential once paid. */
  @Override
  public String toString() {
    return "L402Challenge[" + scheme + "]";
  }

  /**
   * Every L402/LSAT challenge in every value, in order. A value holds any number of challenges of
   * any scheme (RFC 9110 §11.6.1); parameters may come in any order, as tokens or quoted strings.
   * Challenges of other schemes are skipped, and so is a value that does not parse at all unless it
   * names L402 or LSAT.
   *
   * @return the challenges, empty when none is for L402
   * @throws L402Exception {@code challenge_invalid} when a value is above {@link #MAX_VALUE}, or an
   *     L402/LSAT challenge is malformed, lacks {@code macaroon} or {@code invoice}, or repeats one
   */
  public static List<L402Challenge> scan(List<String> wwwAuthenticateValues) throws L402Exception {
    List<L402Challenge> found = new ArrayList<>();
    for (String value : wwwAuthenticateValues) {
      if (value == null) {
        continue;
      }
      if (value.length() > MAX_VALUE) {
        throw new L402Exception("challenge_invalid", "WWW-Authenticate above 64 KiB");
      }
      List<Parsed> parsed;
      try {
        parsed = new Parser(value).challenges();
      } catch (IllegalArgumentException e) {
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.contains("l402") || lower.contains("lsat")) {
          throw new L402Exception("challenge_invalid", "malformed L402 challenge");
        }
        continue;
      }
      for (Parsed p : parsed) {
        String scheme = p.scheme.toUpperCase(Locale.ROOT);
        if (!scheme.equals("L402") && !scheme.equals("LSAT")) {
          continue;
        }
        if (p.duplicate) {
          throw new L402Exception("challenge_invalid", "L402 challenge repeats a parameter");
        }
        String macaroon = p.params.get("macaroon");
        String invoice = p.params.get("invoice");
        if (macaroon == null || macaroon.isEmpty() || invoice == null || invoice.isEmpty()) {
          throw new L402Exception("challenge_invalid", "L402 challenge lacks macaroon or invoice");
        }
        found.add(new L402Challenge(scheme, macaroon, invoice));
      }
    }
    return found;
  }

  private static final class Parsed {
    final String scheme;
    final Map<String, String> params = new LinkedHashMap<>();
    boolean duplicate;

    Parsed(String scheme) {
      this.scheme = scheme;
    }
  }

  /** RFC 9110 challenge list: {@code scheme [token68 | auth-param *(, auth-param)]}, ... */
  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    List<Parsed> challenges() {
      List<Parsed> out = new ArrayList<>();
      Parsed current = null;
      while (true) {
        skipSeparators();
        if (pos >= s.length()) {
          return out;
        }
        String token = token();
        int afterToken = pos;
        skipWhitespace();
        if (current != null && pos < s.length() && s.charAt(pos) == '=') {
          pos++;
          skipWhitespace();
          String value = pos < s.length() && s.charAt(pos) == '"' ? quoted() : token();
          String name = token.toLowerCase(Locale.ROOT);
          if (current.params.putIfAbsent(name, value) != null) {
            current.duplicate = true;
          }
          expectSeparatorOrEnd();
          continue;
        }
        // a new challenge: its scheme, then a token68 or its first parameter
        pos = afterToken;
        current = new Parsed(token);
        out.add(current);
        if (pos < s.length()
            && s.charAt(pos) != ' '
            && s.charAt(pos) != '\t'
            && s.charAt(pos) != ',') {
          throw new IllegalArgumentException("bad scheme");
        }
        skipWhitespace();
        if (pos < s.length() && s.charAt(pos) != ',') {
          if (startsParameter()) {
            String name = token().toLowerCase(Locale.ROOT);
            skipWhitespace();
            pos++; // '='
            skipWhitespace();
            String value = pos < s.length() && s.charAt(pos) == '"' ? quoted() : token();
            current.params.put(name, value);
          } else {
            token68();
          }
          expectSeparatorOrEnd();
        }
      }
    }

    /** Whether a {@code name = value} parameter (rather than a token68) starts here. */
    private boolean startsParameter() {
      int save = pos;
      try {
        while (pos < s.length() && isTchar(s.charAt(pos))) {
          pos++;
        }
        if (pos == save) {
          return false;
        }
        skipWhitespace();
        if (pos >= s.length() || s.charAt(pos) != '=') {
          return false;
        }
        pos++;
        skipWhitespace();
        return pos < s.length() && s.charAt(pos) != '=' && s.charAt(pos) != ',';
      } finally {
        pos = save;
      }
    }

    private void token68() {
      int start = pos;
      while (pos < s.length() && (isTchar(s.charAt(pos)) || s.charAt(pos) == '/')) {
        pos++;
      }
      if (pos == start) {
        throw new IllegalArgumentException("expected a token68");
      }
      while (pos < s.length() && s.charAt(pos) == '=') {
        pos++;
      }
    }

    private void expectSeparatorOrEnd() {
      skipWhitespace();
      if (pos < s.length() && s.charAt(pos) != ',') {
        throw new IllegalArgumentException("expected a comma");
      }
    }

    private void skipSeparators() {
      while (pos < s.length()
          && (s.charAt(pos) == ',' || s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private void skipWhitespace() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private String token() {
      int start = pos;
      while (pos < s.length() && isTchar(s.charAt(pos))) {
        pos++;
      }
      if (pos == start) {
        throw new IllegalArgumentException("expected a token");
      }
      return s.substring(start, pos);
    }

    private String quoted() {
      StringBuilder b = new StringBuilder();
      pos++; // opening quote
      while (pos < s.length()) {
        char c = s.charAt(pos++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\') {
          if (pos >= s.length()) {
            break;
          }
          c = s.charAt(pos++);
        }
        if (c < 0x20 && c != '\t' || c == 0x7f) {
          throw new IllegalArgumentException("control character in a quoted string");
        }
        b.append(c);
      }
      throw new IllegalArgumentException("unterminated quoted string");
    }

    private static boolean isTchar(char c) {
      return c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
  }
}
