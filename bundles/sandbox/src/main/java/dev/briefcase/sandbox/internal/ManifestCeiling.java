package dev.briefcase.sandbox.internal;

import dev.briefcase.tools.ToolManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How a WASM tool bundle's declared manifest relates to the one an operator stored (SPEC §3): the
 * declaration is a ceiling, never a grant. The manifest in force is the operator's stored one (or
 * deny-all when none is stored) narrowed to what the bundle declares it needs, so installing or
 * updating a bundle can never widen what an operator allowed, and a stored manifest that is wider
 * than the tool needs is cut down to the tool's own declaration. Stateless.
 */
final class ManifestCeiling {

  private ManifestCeiling() {}

  /** Which parts of a manifest a bundle declared; an undeclared part does not narrow. */
  record Parts(boolean hosts, boolean httpPaths, boolean filesystem, boolean maxOutput) {
    static final Parts ALL = new Parts(true, true, true, true);
  }

  /** {@code stored ∩ declared} over every part. */
  static ToolManifest intersect(ToolManifest stored, ToolManifest declared) {
    return intersect(stored, declared, Parts.ALL);
  }

  /** {@code stored ∩ declared} over the declared parts, with the stored tool id and runtime. */
  static ToolManifest intersect(ToolManifest stored, ToolManifest declared, Parts parts) {
    return new ToolManifest(
        stored.toolId(),
        stored.runtime(),
        parts.hosts()
            ? hosts(stored.allowedHosts(), declared.allowedHosts())
            : stored.allowedHosts(),
        parts.httpPaths()
            ? prefixes(stored.allowedHttpPathPrefixes(), declared.allowedHttpPathPrefixes(), false)
            : stored.allowedHttpPathPrefixes(),
        parts.filesystem()
            ? prefixes(stored.allowedPathPrefixes(), declared.allowedPathPrefixes(), true)
            : stored.allowedPathPrefixes(),
        parts.maxOutput()
            ? Math.min(stored.maxOutputBytes(), declared.maxOutputBytes())
            : stored.maxOutputBytes());
  }

  /** A stored host survives when the declaration names it, or a {@code *.suffix} covering it. */
  private static List<String> hosts(List<String> stored, List<String> declared) {
    Set<String> out = new LinkedHashSet<>();
    for (String h : stored) {
      for (String d : declared) {
        if (covers(d, h)) {
          out.add(h);
        } else if (covers(h, d)) {
          out.add(d);
        }
      }
    }
    return List.copyOf(out);
  }

  private static boolean covers(String pattern, String host) {
    if (pattern.equals(host)) {
      return true;
    }
    // *.example.com covers exactly one more label: a.example.com, not a.b.example.com
    if (pattern.startsWith("*.") && !host.startsWith("*.")) {
      String suffix = pattern.substring(1);
      if (host.endsWith(suffix)) {
        String label = host.substring(0, host.length() - suffix.length());
        return !label.isEmpty() && label.indexOf('.') < 0;
      }
    }
    return false;
  }

  /** For each pair where one prefix lies under the other, the narrower one. */
  private static List<String> prefixes(List<String> stored, List<String> declared, boolean fs) {
    Set<String> out = new LinkedHashSet<>();
    for (String s : stored) {
      for (String d : declared) {
        if (under(s, d, fs)) {
          out.add(s);
        } else if (under(d, s, fs)) {
          out.add(d);
        }
      }
    }
    return new ArrayList<>(out);
  }

  /** Whether {@code inner} lies under {@code outer}, at a path-segment boundary. */
  static boolean under(String inner, String outer, boolean fs) {
    if (fs) {
      return Path.of(inner).normalize().startsWith(Path.of(outer).normalize());
    }
    if (inner.equals(outer) || outer.equals("/")) {
      return inner.startsWith("/");
    }
    String base = outer.endsWith("/") ? outer : outer + "/";
    return inner.startsWith(base) || inner.equals(outer);
  }
}
