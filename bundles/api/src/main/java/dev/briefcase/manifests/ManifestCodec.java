package dev.briefcase.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.tools.ToolManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSON form of a {@link ToolManifest} (SPEC §3): {@code {tool_id, runtime, egress:
 * {allowed_hosts[], allowed_http_path_prefixes[]}, filesystem:{allowed_path_prefixes[]},
 * limits:{max_output_bytes}}}, and the rules a manifest must follow. Stateless.
 */
public final class ManifestCodec {
  /** The runtimes a manifest may name. */
  public static final Set<String> RUNTIMES = Set.of("builtin", "wasm", "remote_mcp", "connector");

  /** The largest output limit a manifest may set. */
  public static final long MAX_OUTPUT_LIMIT = 16L << 20;

  private static final Pattern TOOL_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern HOST =
      Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
  private static final int MAX_ENTRIES = 64;

  private ManifestCodec() {}

  public static ObjectNode toJson(ToolManifest m) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("tool_id", m.toolId());
    o.put("runtime", m.runtime());
    ObjectNode egress = o.putObject("egress");
    strings(egress.putArray("allowed_hosts"), m.allowedHosts());
    strings(egress.putArray("allowed_http_path_prefixes"), m.allowedHttpPathPrefixes());
    strings(o.putObject("filesystem").putArray("allowed_path_prefixes"), m.allowedPathPrefixes());
    o.putObject("limits").put("max_output_bytes", m.maxOutputBytes());
    return o;
  }

  /**
   * Parses and checks a manifest.
   *
   * @throws IllegalArgumentException naming the first problem, one line
   */
  public static ToolManifest fromJson(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("manifest must be a JSON object");
    }
    JsonNode egress = o.path("egress");
    JsonNode limits = o.path("limits");
    JsonNode max = limits.get("max_output_bytes");
    if (max != null && !max.canConvertToLong()) {
      throw new IllegalArgumentException("limits.max_output_bytes must be an integer");
    }
    ToolManifest m =
        new ToolManifest(
            text(o, "tool_id"),
            o.has("runtime") ? text(o, "runtime") : "builtin",
            list(egress.path("allowed_hosts"), "egress.allowed_hosts"),
            list(egress.path("allowed_http_path_prefixes"), "egress.allowed_http_path_prefixes"),
            list(
                o.path("filesystem").path("allowed_path_prefixes"),
                "filesystem.allowed_path_prefixes"),
            max == null ? ToolManifest.DEFAULT_MAX_OUTPUT_BYTES : positive(max.longValue()));
    check(m);
    return m;
  }

  /**
   * The rules: a known runtime; lowercase host names (an optional leading {@code *.}), no scheme,
   * port or path; HTTP path prefixes starting with {@code /} without {@code ..}; absolute
   * filesystem prefixes without {@code ..}; at most 64 entries per list; an output limit of at most
   * 16 MiB.
   *
   * @throws IllegalArgumentException naming the first problem
   */
  public static void check(ToolManifest m) {
    if (!TOOL_ID.matcher(m.toolId()).matches()) {
      throw new IllegalArgumentException("tool_id must match [A-Za-z0-9._:-]{1,128}");
    }
    if (!RUNTIMES.contains(m.runtime())) {
      throw new IllegalArgumentException(
          "runtime must be one of " + new java.util.TreeSet<>(RUNTIMES));
    }
    for (String h : limited(m.allowedHosts(), "egress.allowed_hosts")) {
      if (!h.equals(h.toLowerCase(Locale.ROOT)) || !HOST.matcher(h).matches()) {
        throw new IllegalArgumentException(
            "egress.allowed_hosts: not a lowercase host name: " + clip(h));
      }
    }
    for (String p : limited(m.allowedHttpPathPrefixes(), "egress.allowed_http_path_prefixes")) {
      if (!p.startsWith("/") || p.contains("..") || p.contains("%") || p.contains("\\")) {
        throw new IllegalArgumentException(
            "egress.allowed_http_path_prefixes: must start with / and contain no .., % or \\: "
                + clip(p));
      }
    }
    for (String p : limited(m.allowedPathPrefixes(), "filesystem.allowed_path_prefixes")) {
      if (!p.startsWith("/") || p.contains("..") || p.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "filesystem.allowed_path_prefixes: must be absolute without ..: " + clip(p));
      }
    }
    if (m.maxOutputBytes() > MAX_OUTPUT_LIMIT) {
      throw new IllegalArgumentException("limits.max_output_bytes may be at most 16 MiB");
    }
  }

  private static List<String> limited(List<String> values, String field) {
    if (values.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(field + " has more than " + MAX_ENTRIES + " entries");
    }
    return values;
  }

  private static long positive(long v) {
    if (v <= 0) {
      throw new IllegalArgumentException("limits.max_output_bytes must be positive");
    }
    return v;
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
      throw new IllegalArgumentException(field + " must be a non-empty string");
    }
    return v.textValue();
  }

  private static List<String> list(JsonNode a, String field) {
    List<String> out = new ArrayList<>();
    if (a.isMissingNode() || a.isNull()) {
      return out;
    }
    if (!a.isArray()) {
      throw new IllegalArgumentException(field + " must be an array of strings");
    }
    for (JsonNode v : a) {
      if (!v.isTextual()) {
        throw new IllegalArgumentException(field + " must be an array of strings");
      }
      out.add(v.textValue());
    }
    return out;
  }

  private static void strings(ArrayNode a, List<String> values) {
    values.forEach(a::add);
  }

  private static String clip(String s) {
    String one = s.replaceAll("[\\r\\n\\t]+", " ");
    return one.length() <= 80 ? one : one.substring(0, 80);
  }
}
