package dev.briefcase.tools;

import java.util.List;
import java.util.Objects;

/**
 * What a local tool may reach (SPEC §3): egress hosts and HTTP path prefixes, filesystem prefixes
 * and output limits. A tool without a manifest gets {@link #denyAll(String, String)}.
 *
 * @param toolId the tool this manifest governs
 * @param runtime {@code builtin}, {@code wasm} or {@code remote_mcp}
 * @param allowedHosts hosts the tool may call; empty means no network
 * @param allowedHttpPathPrefixes HTTP path prefixes allowed on those hosts
 * @param allowedPathPrefixes filesystem prefixes the tool may read or write; empty means none
 * @param maxOutputBytes the largest result the tool may return
 */
public record ToolManifest(
    String toolId,
    String runtime,
    List<String> allowedHosts,
    List<String> allowedHttpPathPrefixes,
    List<String> allowedPathPrefixes,
    long maxOutputBytes) {

  public static final long DEFAULT_MAX_OUTPUT_BYTES = 1L << 20;

  public ToolManifest {
    Objects.requireNonNull(toolId, "toolId");
    Objects.requireNonNull(runtime, "runtime");
    allowedHosts = List.copyOf(allowedHosts);
    allowedHttpPathPrefixes = List.copyOf(allowedHttpPathPrefixes);
    allowedPathPrefixes = List.copyOf(allowedPathPrefixes);
    if (maxOutputBytes <= 0) {
      throw new IllegalArgumentException("maxOutputBytes must be positive");
    }
  }

  /** The manifest of a tool nobody configured: no network, no filesystem. */
  public static ToolManifest denyAll(String toolId, String runtime) {
    return new ToolManifest(
        toolId, runtime, List.of(), List.of(), List.of(), DEFAULT_MAX_OUTPUT_BYTES);
  }

  /** {@code net_access} of SPEC §2: the tool may reach at least one host. */
  public boolean netAccess() {
    return !allowedHosts.isEmpty();
  }

  /** {@code fs_access} of SPEC §2: the tool may touch at least one filesystem prefix. */
  public boolean fsAccess() {
    return !allowedPathPrefixes.isEmpty();
  }
}
