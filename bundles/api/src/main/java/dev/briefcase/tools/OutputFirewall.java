package dev.briefcase.tools;

import java.util.List;
import java.util.Objects;

/**
 * Which parts of a tool result may reach the agent (SPEC §3). {@code allow_paths} copies only the
 * listed dot-paths; nesting is kept, arrays are not traversed, missing paths are skipped.
 *
 * @param mode {@link #ALLOW_ALL} or {@link #ALLOW_PATHS}
 * @param allowedPaths dot-paths, empty for {@code allow_all}
 */
public record OutputFirewall(String mode, List<String> allowedPaths) {
  public static final String ALLOW_ALL = "allow_all";
  public static final String ALLOW_PATHS = "allow_paths";

  public OutputFirewall {
    Objects.requireNonNull(mode, "mode");
    if (!ALLOW_ALL.equals(mode) && !ALLOW_PATHS.equals(mode)) {
      throw new IllegalArgumentException("unknown firewall mode: " + mode);
    }
    allowedPaths = List.copyOf(allowedPaths);
  }

  public static OutputFirewall allowAll() {
    return new OutputFirewall(ALLOW_ALL, List.of());
  }

  public static OutputFirewall allowPaths(String... paths) {
    return new OutputFirewall(ALLOW_PATHS, List.of(paths));
  }
}
