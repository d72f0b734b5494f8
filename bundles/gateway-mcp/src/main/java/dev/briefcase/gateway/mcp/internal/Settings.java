package dev.briefcase.gateway.mcp.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The resolved settings of one gateway instance. Durations are in milliseconds so that tests can
 * use short ones.
 *
 * @param mode the profile mode ({@code reference}, {@code staging} or {@code ga})
 * @param serverVersion the version reported in {@code serverInfo}
 * @param approvalWaitMillis how long a call that needs approval is held open; 0 disables
 * @param progressMillis how often a held call reports progress (or a keep-alive comment)
 * @param keepAliveMillis how often an idle GET stream gets a keep-alive comment
 * @param sessionIdleMillis after how long without traffic a session expires
 * @param sweepMillis how often expired sessions are removed
 * @param maxSessions the most sessions at once; initialize answers 503 beyond it
 * @param maxHeld the most calls held open at once; beyond it, calls answer at once
 * @param requireToken require the bearer token on a loopback bind too (the default); {@code false}
 *     only with the explicit development setting, never in {@code ga}
 * @param allowedOrigins the browser origins accepted, e.g. {@code https://app.example}; a request
 *     without {@code Origin} is always accepted, any other origin (loopback ones included) refused
 * @param publicHost a host name accepted in the {@code Host} header besides loopback names
 * @param tokenFile {@code <data_dir>/mcp_token}, or {@code null} when there is no data directory
 */
record Settings(
    String mode,
    String serverVersion,
    long approvalWaitMillis,
    long progressMillis,
    long keepAliveMillis,
    long sessionIdleMillis,
    long sweepMillis,
    int maxSessions,
    int maxHeld,
    boolean requireToken,
    List<String> allowedOrigins,
    String publicHost,
    Path tokenFile) {

  Settings {
    allowedOrigins =
        allowedOrigins.stream()
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .map(Settings::normalizeOrigin)
            .toList();
    publicHost = publicHost == null ? "" : publicHost.trim().toLowerCase(Locale.ROOT);
  }

  /** Lower case, without a trailing slash: the form browsers send in {@code Origin}. */
  static String normalizeOrigin(String origin) {
    String o = origin.toLowerCase(Locale.ROOT);
    return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
  }
}
