package dev.briefcase.runtime.launcher;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where and how the kernel runs, resolved from the environment. Every {@code BRIEFCASE_*} variable
 * is honoured (SPEC.md, configuration): the launcher validates the four it owns and passes every
 * other one to the framework as the property {@code briefcase.<name in lower case, _ as .>} (for
 * example {@code BRIEFCASE_STRICT_HOST=1} becomes {@code briefcase.strict.host=1}). Variables whose
 * name says they hold a secret (passphrase, password, token, seed, PIN) are never copied, because
 * framework properties are readable by every bundle and shown by diagnostics; a bundle that needs
 * one reads the environment itself (only the file secret store does: its master passphrase).
 *
 * <p>The launcher is the only reader of the environment: bundles read the properties it sets. It
 * also resolves settings whose default depends on other variables, so that no bundle looks at the
 * environment for them: {@code briefcase.secret.backend} is always set, to {@code
 * BRIEFCASE_SECRET_BACKEND}, else {@code file} when {@code BRIEFCASE_MASTER_PASSPHRASE} is set and
 * not empty (its presence only, never its value), else {@code keyring} (SPEC §12).
 *
 * @param home the distribution directory ({@code bin/ lib/ bundle/ features/}), may be null
 * @param bundleDir where feature bundles are looked up
 * @param dataDir the data directory
 * @param profileMode {@code reference}, {@code staging} or {@code ga}
 * @param tcpAddr the admin API bind address, {@code host:port}
 * @param logLevel slf4j-simple level: trace, debug, info, warn, error or off
 * @param extraProperties framework properties from the other {@code BRIEFCASE_*} variables
 */
public record LaunchSettings(
    Path home,
    Path bundleDir,
    Path dataDir,
    String profileMode,
    String tcpAddr,
    String logLevel,
    Map<String, String> extraProperties) {

  /** The data directory name under the platform's local data directory. */
  public static final String APP_DIR = "credential-briefcase";

  private static final Set<String> MODES = Set.of("reference", "staging", "ga");
  private static final Set<String> LEVELS =
      Set.of("trace", "debug", "info", "warn", "error", "off");
  private static final Set<String> OWN =
      Set.of(
          "BRIEFCASE_DATA_DIR",
          "BRIEFCASE_PROFILE_MODE",
          "BRIEFCASE_TCP_ADDR",
          "BRIEFCASE_LOG_LEVEL",
          "BRIEFCASE_HOME",
          "BRIEFCASE_JAVA_OPTS");
  private static final Set<String> SECRET_BACKENDS = Set.of("keyring", "file", "memory");
  private static final Set<String> KEY_BACKENDS =
      Set.of("auto", "software", "pkcs11", "tpm2", "apple", "windows", "remote");
  private static final String[] SECRET_WORDS = {
    "PASSPHRASE", "PASSWORD", "TOKEN", "SEED", "_PIN", "API_KEY", "PRIVATE_KEY", "SECRET_KEY"
  };

  /** Copies the map so the record stays immutable. */
  public LaunchSettings {
    extraProperties = Collections.unmodifiableMap(new TreeMap<>(extraProperties));
  }

  /**
   * Resolves the settings.
   *
   * @param env the process environment
   * @param userHome the user's home directory (for the default data directory)
   * @param home the distribution directory or null
   * @param dataDirOverride {@code --data-dir}, or null
   * @throws LaunchException on an invalid value, naming the variable
   */
  public static LaunchSettings resolve(
      Map<String, String> env, Path userHome, Path home, Path dataDirOverride)
      throws LaunchException {
    Path dataDir =
        (dataDirOverride != null ? dataDirOverride : defaultDataDir(env, userHome))
            .toAbsolutePath()
            .normalize();

    String mode = env.getOrDefault("BRIEFCASE_PROFILE_MODE", "").trim();
    if (mode.isEmpty()) {
      mode = "reference";
    }
    if (!MODES.contains(mode)) {
      throw new LaunchException(
          "invalid BRIEFCASE_PROFILE_MODE '" + mode + "' (expected reference, staging or ga)");
    }

    String tcpAddr = env.getOrDefault("BRIEFCASE_TCP_ADDR", "").trim();
    if (tcpAddr.isEmpty()) {
      tcpAddr = "127.0.0.1:0";
    }
    checkHostPort(tcpAddr);

    String level = env.getOrDefault("BRIEFCASE_LOG_LEVEL", "").trim().toLowerCase(Locale.ROOT);
    if (level.isEmpty()) {
      level = "info";
    }
    if (!LEVELS.contains(level)) {
      throw new LaunchException(
          "invalid BRIEFCASE_LOG_LEVEL '"
              + level
              + "' (expected trace, debug, info, warn, error"
              + " or off)");
    }

    String secretBackend = secretBackend(env, mode);

    Map<String, String> extra = new TreeMap<>();
    env.forEach(
        (name, value) -> {
          if (name.startsWith("BRIEFCASE_")
              && name.length() > "BRIEFCASE_".length()
              && !OWN.contains(name)
              && !looksSecret(name)) {
            extra.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
          }
        });

    extra.put("briefcase.secret.backend", secretBackend);
    checkKeyCustody(env, mode, extra);
    checkMcpToken(env, mode, extra);

    // the payment rails' helper_command (PaymentHelperCommand): refuse bad quoting at start
    String helper = extra.get(PaymentHelperCommand.PROPERTY);
    if (helper != null && !helper.isBlank()) {
      try {
        PaymentHelperCommand.split(helper);
      } catch (IllegalArgumentException e) {
        throw new LaunchException("invalid BRIEFCASE_PAYMENT_HELPER: " + e.getMessage());
      }
    }

    // Felix HTTP takes host and port apart: derive them for features/core.json
    String mcpAddr = extra.get("briefcase.mcp.http.addr");
    if (mcpAddr != null && !mcpAddr.isBlank()) {
      java.net.URI mcp = hostPort(mcpAddr.trim(), "BRIEFCASE_MCP_HTTP_ADDR");
      String host = mcp.getHost();
      extra.put(
          "briefcase.mcp.http.host",
          host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
      extra.put("briefcase.mcp.http.port", Integer.toString(mcp.getPort()));
    }
    // the same for the reference provider's listener (features/provider.json)
    String providerAddr = extra.get("briefcase.provider.http.addr");
    if (providerAddr != null && !providerAddr.isBlank()) {
      java.net.URI provider = hostPort(providerAddr.trim(), "BRIEFCASE_PROVIDER_HTTP_ADDR");
      String host = provider.getHost();
      extra.put(
          "briefcase.provider.http.host",
          host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
      extra.put("briefcase.provider.http.port", Integer.toString(provider.getPort()));
    }

    Path bundleDir = home == null ? null : home.resolve("bundle");
    return new LaunchSettings(home, bundleDir, dataDir, mode, tcpAddr, level, extra);
  }

  /** {@code $XDG_DATA_HOME/credential-briefcase}, or the platform's local data directory. */
  public static Path defaultDataDir(Map<String, String> env, Path userHome) {
    String explicit = env.get("BRIEFCASE_DATA_DIR");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit.trim());
    }
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (os.contains("mac")) {
      return userHome.resolve("Library/Application Support").resolve(APP_DIR);
    }
    if (os.contains("win")) {
      String local = env.get("LOCALAPPDATA");
      return (local != null ? Path.of(local) : userHome.resolve("AppData/Local")).resolve(APP_DIR);
    }
    String xdg = env.get("XDG_DATA_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg).resolve(APP_DIR);
    }
    return userHome.resolve(".local/share").resolve(APP_DIR);
  }

  /** {@code <data_dir>/deploy}: the File Install folder. */
  public Path deployDir() {
    return dataDir.resolve("deploy");
  }

  /** The framework properties the launcher contributes (before the feature's own). */
  public Map<String, String> frameworkProperties() {
    Map<String, String> props = new TreeMap<>(extraProperties);
    props.put("briefcase.data.dir", dataDir.toString());
    props.put("briefcase.deploy.dir", deployDir().toString());
    props.put("briefcase.profile.mode", profileMode);
    props.put("briefcase.tcp.addr", tcpAddr);
    props.put("briefcase.log.level", logLevel);
    if (home != null) {
      props.put("briefcase.home", home.toString());
    }
    props.put("org.osgi.framework.storage", dataDir.resolve("felix-cache").toString());
    return props;
  }

  /**
   * The secret store backend: {@code BRIEFCASE_SECRET_BACKEND} must name one, and the memory store
   * is refused in ga (SPEC §12 Δ: secrets that vanish on restart are no production store). Unset
   * (or blank): {@code file} when a master passphrase is set, else {@code keyring}.
   */
  private static String secretBackend(Map<String, String> env, String mode) throws LaunchException {
    String backend =
        env.getOrDefault("BRIEFCASE_SECRET_BACKEND", "").trim().toLowerCase(Locale.ROOT);
    if (backend.isEmpty()) {
      String passphrase = env.get("BRIEFCASE_MASTER_PASSPHRASE");
      return passphrase != null && !passphrase.isEmpty() ? "file" : "keyring";
    }
    if (!SECRET_BACKENDS.contains(backend)) {
      throw new LaunchException(
          "invalid BRIEFCASE_SECRET_BACKEND '"
              + backend
              + "' (expected keyring, file or memory; unset = file when"
              + " BRIEFCASE_MASTER_PASSPHRASE is set, else keyring)");
    }
    if (backend.equals("memory") && mode.equals("ga")) {
      throw new LaunchException(
          "BRIEFCASE_SECRET_BACKEND=memory is refused in the ga profile (secrets would not survive"
              + " a restart); use keyring, or file with BRIEFCASE_MASTER_PASSPHRASE");
    }
    return backend;
  }

  /**
   * SPEC §12 Δ: {@code BRIEFCASE_KEY_BACKEND} must name a known backend, and the {@code ga} profile
   * refuses to start with software keys chosen explicitly unless {@code
   * BRIEFCASE_ALLOW_SOFTWARE_KEYS=1}. (With {@code auto}, the key directory refuses a software
   * fallback in {@code ga} and the software signer does not activate there.)
   *
   * <p>No start-time refusal for {@code auto}: whether a hardware signer will be there is not known
   * here. The {@code signers} feature can be launched and still register none (PKCS#11 and TPM 2.0
   * need a factory configuration, Apple and Windows only run on their platform), and a hardware
   * signer can arrive without it (a plugin restored from {@code <data_dir>/plugins} or {@code
   * deploy/}, signer hot swap). Refusing on the feature list would be wrong both ways; the key
   * directory refuses at use ({@code software_keys_refused}) and fails the {@code key_custody}
   * check instead.
   *
   * <p>The launcher is the only reader of these variables: it passes the backend as {@code
   * briefcase.key.backend} and the opt-in as {@code briefcase.allow.software.keys} ({@code 1} or
   * {@code 0}), which the key directory and the software signer read.
   */
  private static void checkKeyCustody(
      Map<String, String> env, String mode, Map<String, String> extra) throws LaunchException {
    String backend = env.getOrDefault("BRIEFCASE_KEY_BACKEND", "").trim().toLowerCase(Locale.ROOT);
    if (backend.isEmpty()) {
      backend = "auto";
    }
    if (!KEY_BACKENDS.contains(backend)) {
      throw new LaunchException(
          "invalid BRIEFCASE_KEY_BACKEND '"
              + backend
              + "' (expected auto, software, pkcs11, tpm2, apple or windows)");
    }
    String allow = env.getOrDefault("BRIEFCASE_ALLOW_SOFTWARE_KEYS", "").trim();
    boolean allowed = allow.equals("1") || allow.equalsIgnoreCase("true");
    if (!allow.isEmpty()) {
      extra.put("briefcase.allow.software.keys", allowed ? "1" : "0");
    }
    if ("ga".equals(mode) && backend.equals("software") && !allowed) {
      throw new LaunchException(
          "the ga profile refuses software keys (BRIEFCASE_KEY_BACKEND=software);"
              + " set BRIEFCASE_ALLOW_SOFTWARE_KEYS=1 to accept them");
    }
  }

  /**
   * SPEC §10 Δ: the MCP bearer token is required by default, on loopback too. {@code
   * BRIEFCASE_MCP_ALLOW_NO_TOKEN=1} (a flag, passed on although its name says TOKEN) is the
   * development setting that serves loopback requests without it; the {@code ga} profile refuses to
   * start with it ({@code mcp_token_required}).
   */
  private static void checkMcpToken(Map<String, String> env, String mode, Map<String, String> extra)
      throws LaunchException {
    String allow = env.getOrDefault("BRIEFCASE_MCP_ALLOW_NO_TOKEN", "").trim();
    if (allow.isEmpty()) {
      return;
    }
    boolean on = allow.equals("1") || allow.equalsIgnoreCase("true");
    if (on && "ga".equals(mode)) {
      throw new LaunchException(
          "mcp_token_required: BRIEFCASE_MCP_ALLOW_NO_TOKEN is a development setting; the ga"
              + " profile always requires the MCP bearer token (<data_dir>/mcp_token)");
    }
    extra.put("briefcase.mcp.allow.no.token", on ? "1" : "0");
  }

  private static boolean looksSecret(String name) {
    for (String word : SECRET_WORDS) {
      if (name.contains(word)) {
        return true;
      }
    }
    return false;
  }

  private static void checkHostPort(String addr) throws LaunchException {
    hostPort(addr, "BRIEFCASE_TCP_ADDR");
  }

  private static java.net.URI hostPort(String addr, String variable) throws LaunchException {
    try {
      java.net.URI uri = new java.net.URI("tcp://" + addr);
      if (uri.getHost() == null || uri.getPort() < 0 || uri.getPort() > 65535) {
        throw new URISyntaxException(addr, "no host or port");
      }
      if (uri.getPath() != null && !uri.getPath().isEmpty()) {
        throw new URISyntaxException(addr, "path");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new LaunchException(
          "invalid " + variable + " '" + addr + "' (expected host:port, e.g. 127.0.0.1:0)");
    }
  }
}
