package dev.briefcase.sandbox.internal;

import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.tools.ToolManifest;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What one manifest allows, prepared for the host imports: the result cap (clamped to 4 MiB), the
 * exact host allow-list, the egress policy and the filesystem guard. Immutable; built once per
 * manifest and reused while the manifest in force does not change.
 */
final class CallRules {
  final ToolManifest manifest;
  final long maxResultBytes;
  final Set<String> allowedHosts;
  final EgressPolicy policy;
  final FsGuard fs;

  CallRules(ToolManifest manifest, boolean devLoopback, Supplier<List<Path>> protectedPaths) {
    this.manifest = manifest;
    this.maxResultBytes =
        Math.min(manifest.maxOutputBytes(), SandboxLimits.MAX_RESULT_BYTES_CEILING);
    this.allowedHosts = HostCalls.lowerCase(manifest.allowedHosts());
    this.policy =
        EgressPolicy.of(allowedHosts, manifest.allowedHttpPathPrefixes())
            .withDevLoopback(devLoopback)
            .withMaxResponseBytes(maxResultBytes);
    this.fs = new FsGuard(manifest.allowedPathPrefixes(), protectedPaths);
  }
}
