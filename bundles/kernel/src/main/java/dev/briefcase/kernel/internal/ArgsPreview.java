package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a human approving a call sees of its arguments (SPEC §4 Δ 2026-12): the canonical (JCS)
 * arguments with secrets replaced by {@code [REDACTED]}, at most {@link #MAX_BYTES} UTF-8 bytes.
 * Only this form is kept with an approval; the raw arguments are never stored or receipted.
 *
 * <p>Redacted: the whole value of any key that names a secret (the sensitive terms of the risk
 * heuristics, SPEC §20, plus {@code token}, {@code authorization}, {@code cookie}, {@code
 * credential}, {@code apikey}). Inside strings only recognised credential formats, each as one
 * whole token that ends at the first character its format cannot contain: {@code <sensitive
 * term>[:=] value} where the value is a single {@code [A-Za-z0-9._~+-]} token, bearer tokens, basic
 * credentials (base64 of {@code user:password}), PEM private keys, JWTs and well-known key formats
 * ({@code sk-…}, {@code ghp_…}, {@code AKIA…}, {@code xox?-…}, {@code AIza…}, {@code glpat-…}).
 * URLs, hosts, paths and commands around them stay visible: the approver is trusted, and hiding
 * what a call does is worse than showing too much.
 *
 * <p>Longer previews keep the head and the tail with {@code …[N bytes cut]…} between them, so
 * padding can not push the target of a call out of view.
 *
 * @param text the redacted canonical arguments, possibly cut
 * @param truncated whether {@code text} was cut
 * @param redacted whether anything was redacted
 */
record ArgsPreview(String text, boolean truncated, boolean redacted) {
  static final int MAX_BYTES = 2048;
  static final String REDACTED = "[REDACTED]";
  private static final int MAX_DEPTH = 64;

  /** Keys whose value is a secret, compared after lower-casing and dropping {@code _ - . space}. */
  private static final List<String> SECRET_KEYS =
      List.of(
          "apikey",
          "accesstoken",
          "refreshtoken",
          "privatekey",
          "password",
          "passwd",
          "passphrase",
          "secret",
          "token",
          "authorization",
          "cookie",
          "credential",
          "ssn",
          "creditcard",
          "cardnumber",
          "cvv",
          "pin",
          "seed",
          "mnemonic",
          "preimage",
          "macaroon");

  /**
   * Credential formats redacted as whole tokens inside strings. Each stops at the first character
   * its format cannot contain, so a path, host or command after it stays visible.
   */
  private static final List<Pattern> SECRET_VALUES =
      List.of(
          Pattern.compile(
              "-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z0-9 ]*PRIVATE"
                  + " KEY-----|$)"),
          // RFC 6750 b64token without '/', so "Bearer x/../../etc" keeps the path in view
          Pattern.compile("(?i)\\b(bearer|dpop)\\s+[A-Za-z0-9._~+-]{8,}=*"),
          Pattern.compile("\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*"),
          Pattern.compile("\\bsk-(proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"),
          Pattern.compile("\\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]{16,}"),
          Pattern.compile("\\bgh[pousr]_[A-Za-z0-9]{36,}"),
          Pattern.compile("\\bgithub_pat_[A-Za-z0-9_]{36,}"),
          Pattern.compile("\\bglpat-[A-Za-z0-9_-]{20,}"),
          Pattern.compile("\\b(AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"),
          Pattern.compile("\\bxox[abprs]-[A-Za-z0-9-]{10,}"),
          Pattern.compile("\\bAIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"));

  /**
   * {@code Basic <base64>}: redacted only when the token is well-formed base64 of {@code
   * user:password}, so "basic AAAA/../../" is not a credential and stays visible.
   */
  private static final Pattern BASIC =
      Pattern.compile("(?i)\\b(basic\\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])");

  /** The characters of a {@code term=value} secret: a value ends at any other character. */
  private static final String VALUE_CHARS = "[A-Za-z0-9._~+-]";

  /**
   * {@code <term> [:=] value}: the value after a sensitive term (risk heuristics, SPEC §20) or a
   * key-like name containing one, e.g. {@code password=hunter2}, {@code "api_key": "x"} — only a
   * single token of {@link #VALUE_CHARS} (with an optional auth scheme before it), so {@code
   * https://token=x@evil.example} keeps its host and {@code secret=/../.ssh/id_rsa} its path.
   */
  private static final Pattern ASSIGNMENT =
      Pattern.compile(
          "(?i)((?:api[ _-]?key|access[ _-]?token|refresh[ _-]?token|private[ _-]?key|password"
              + "|passwd|passphrase|secret|token|credit[ _-]?card|ssn|authorization|cookie"
              + "|credential)[A-Za-z0-9_-]*\"?\\s*[:=]\\s*\"?)"
              + "((?:(?:bearer|basic|token|dpop|digest)\\s+)?(?:\\[REDACTED\\]|"
              + VALUE_CHARS
              + "+=*))");

  /** Marks the middle of arguments cut to fit {@link #MAX_BYTES}: {@code …[N bytes cut]…}. */
  static String cutMarker(long bytes) {
    return "\u2026[" + bytes + " bytes cut]\u2026";
  }

  /** The preview of I-JSON {@code args}. */
  static ArgsPreview of(JsonNode args) {
    boolean[] redacted = {false};
    JsonNode clean = redact(args, 0, redacted);
    String canonical = CanonicalJson.canonical(clean);
    byte[] utf8 = canonical.getBytes(StandardCharsets.UTF_8);
    if (utf8.length <= MAX_BYTES) {
      return new ArgsPreview(canonical, false, redacted[0]);
    }
    return new ArgsPreview(cutMiddle(canonical, MAX_BYTES), true, redacted[0]);
  }

  /** Puts {@code args_preview}, {@code args_truncated} and {@code args_redacted} into a summary. */
  void putInto(ObjectNode summary) {
    summary.put("args_preview", text);
    summary.put("args_truncated", truncated);
    summary.put("args_redacted", redacted);
  }

  private static JsonNode redact(JsonNode node, int depth, boolean[] redacted) {
    if (depth > MAX_DEPTH) {
      redacted[0] = true;
      return TextNode.valueOf(REDACTED);
    }
    if (node.isTextual()) {
      String clean = redactText(node.textValue());
      if (!clean.equals(node.textValue())) {
        redacted[0] = true;
        return TextNode.valueOf(clean);
      }
      return node;
    }
    if (node.isObject()) {
      ObjectNode out = CanonicalJson.MAPPER.createObjectNode();
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (secretKey(e.getKey()) && !e.getValue().isNull() && !e.getValue().isBoolean()) {
          redacted[0] = true;
          out.put(e.getKey(), REDACTED);
        } else {
          out.set(e.getKey(), redact(e.getValue(), depth + 1, redacted));
        }
      }
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = CanonicalJson.MAPPER.createArrayNode();
      for (JsonNode item : node) {
        out.add(redact(item, depth + 1, redacted));
      }
      return out;
    }
    return node;
  }

  static boolean secretKey(String key) {
    String k = key.toLowerCase(Locale.ROOT).replaceAll("[\\s_.-]", "");
    for (String s : SECRET_KEYS) {
      if (k.equals(s) || (s.length() > 3 && k.contains(s))) {
        return true;
      }
    }
    return false;
  }

  static String redactText(String s) {
    String out = s;
    // recognisable secrets first, so "Authorization: Bearer <token>" loses the token, not the word
    for (Pattern p : SECRET_VALUES) {
      Matcher v = p.matcher(out);
      if (v.find()) {
        out = v.replaceAll(Matcher.quoteReplacement(REDACTED));
      }
    }
    Matcher b = BASIC.matcher(out);
    if (b.find()) {
      out =
          b.replaceAll(
              r ->
                  Matcher.quoteReplacement(
                      basicCredential(r.group(2)) ? r.group(1) + REDACTED : r.group()));
    }
    Matcher m = ASSIGNMENT.matcher(out);
    if (m.find()) {
      out = m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + REDACTED));
    }
    return out;
  }

  /** Whether {@code token} is padded base64 of {@code user:password}. */
  private static boolean basicCredential(String token) {
    if (token.length() % 4 != 0) {
      return false;
    }
    try {
      byte[] plain = Base64.getDecoder().decode(token);
      return new String(plain, StandardCharsets.UTF_8).indexOf(':') >= 0;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * {@code s} cut to at most {@code maxBytes} UTF-8 bytes as head, {@link #cutMarker} and tail, so
   * padding can not push the end of the arguments out of view.
   */
  static String cutMiddle(String s, int maxBytes) {
    int total = s.getBytes(StandardCharsets.UTF_8).length;
    int budget = maxBytes - cutMarker(total).getBytes(StandardCharsets.UTF_8).length;
    String head = cut(s, budget / 2);
    int headBytes = head.getBytes(StandardCharsets.UTF_8).length;
    String tail = cutTail(s.substring(head.length()), budget - headBytes);
    int tailBytes = tail.getBytes(StandardCharsets.UTF_8).length;
    return head + cutMarker(total - headBytes - tailBytes) + tail;
  }

  /** The longest suffix of {@code s} of at most {@code maxBytes} UTF-8 bytes, whole code points. */
  private static String cutTail(String s, int maxBytes) {
    int bytes = 0;
    int i = s.length();
    while (i > 0) {
      int cp = s.codePointBefore(i);
      int len = utf8Length(cp);
      if (bytes + len > maxBytes) {
        break;
      }
      bytes += len;
      i -= Character.charCount(cp);
    }
    return s.substring(i);
  }

  private static int utf8Length(int cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }

  /** The longest prefix of {@code s} of at most {@code maxBytes} UTF-8 bytes, whole code points. */
  private static String cut(String s, int maxBytes) {
    int bytes = 0;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      int len = utf8Length(cp);
      if (bytes + len > maxBytes) {
        break;
      }
      bytes += len;
      i += Character.charCount(cp);
    }
    return s.substring(0, i);
  }
}
