package dev.briefcase.console.internal;

import dev.briefcase.edge.LoopbackAuthority;
import dev.briefcase.edge.OwnerOnlyFile;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Base64;
import org.apache.felix.webconsole.spi.SecurityProvider;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console's login (HTTP Basic) against {@link Credentials}. Registered with {@code
 * webconsole.security.provider.id=briefcase}; {@code features/console.json} names that id in {@code
 * felix.webconsole.security.providers}, so the console serves nothing while this provider is
 * missing, and the web console's own admin/admin fallback is never used.
 *
 * <p>There is no default password in any profile: at first start a random password is written to
 * the password file (0600, like the admin token) and the log says where (never the value); a file
 * that says {@code admin} or that others can read refuses every login. Only loopback clients are
 * served, whatever address the listener is bound to, and only under a loopback {@code Host} with
 * the console's port (421 {@code invalid_host} otherwise: DNS rebinding).
 */
@Component(
    service = SecurityProvider.class,
    immediate = true, // the password is generated at start, not at the first request
    configurationPid = ConsoleSecurity.PID,
    property = {SecurityProvider.PROPERTY_ID + "=briefcase", "service.ranking:Integer=1000"})
@Designate(ocd = ConsoleSecurity.Config.class)
public final class ConsoleSecurity implements SecurityProvider {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleSecurity.class);

  /** The configuration PID. */
  public static final String PID = "dev.briefcase.console";

  static final String REALM = "Briefcase console";

  /** Console login settings. */
  @ObjectClassDefinition(
      name = "Briefcase console login",
      description = "The user name and password file of the Briefcase web console.")
  public @interface Config {
    @AttributeDefinition(name = "User name")
    String username() default "admin";

    @AttributeDefinition(
        name = "Password file",
        description =
            "First line: the password, or {sha-256}<base64 SHA-256>; mode 0600. Empty:"
                + " <data_dir>/console_password. Missing file: a random password is generated"
                + " into it at start.")
    String password_file() default "";
  }

  private final String user;
  private final Path passwordFile;

  @Activate
  public ConsoleSecurity(BundleContext context, Config config) {
    this.user =
        config.username() == null || config.username().isBlank()
            ? "admin"
            : config.username().strip();
    String dataDir = context.getProperty("briefcase.data.dir");
    String file = config.password_file();
    if ((file == null || file.isBlank()) && (dataDir == null || dataDir.isBlank())) {
      // never a password file in whatever the working directory happens to be
      this.passwordFile = null;
      LOG.error(
          "Briefcase console refuses every login: neither briefcase.data.dir nor password.file"
              + " is set");
      return;
    }
    if (file == null || file.isBlank()) {
      file = Path.of(dataDir, "console_password").toString();
    }
    this.passwordFile = Path.of(file);
    try {
      if (!Files.exists(passwordFile, LinkOption.NOFOLLOW_LINKS)
          && Credentials.generate(passwordFile)) {
        LOG.warn(
            "Briefcase console: generated a login password for user {} in {} (mode 0600); read it"
                + " there, or replace it with your own",
            user,
            passwordFile);
      }
      Credentials c = Credentials.load(user, passwordFile);
      if (c.usingDefault()) {
        LOG.error(
            "Briefcase console refuses every login: the password admin (the web console's"
                + " well-known default) is not allowed; write another password to {} (mode 0600)",
            passwordFile);
      } else {
        LOG.info("Briefcase console login: user {}, password from {}", user, passwordFile);
      }
    } catch (IOException e) {
      LOG.error("Briefcase console refuses every login: {}", e.getMessage());
    }
  }

  @Override
  public Object authenticate(HttpServletRequest request, HttpServletResponse response) {
    try {
      if (!loopback(request.getRemoteAddr())) {
        refuse(response, "console_refused: the console serves loopback clients only");
        return null;
      }
      if (!LoopbackAuthority.host(request.getHeader("Host"), request.getLocalPort())) {
        // DNS rebinding: a page whose name now points at 127.0.0.1 sends its own name
        LOG.warn("Briefcase console: request with a foreign Host refused");
        refuse(
            response,
            421,
            "invalid_host: the console answers only to a loopback name with its own port");
        return null;
      }
      if (passwordFile == null) {
        refuse(response, "console_unavailable: the console has no password file");
        return null;
      }
      Credentials c;
      try {
        c = Credentials.load(user, passwordFile);
      } catch (IOException e) {
        refuse(
            response,
            e.getMessage() != null && e.getMessage().startsWith(OwnerOnlyFile.PERMISSIONS_CODE)
                ? OwnerOnlyFile.PERMISSIONS_CODE
                    + ": the console password file can be read by others; see the log"
                : "console_unavailable: the console password file cannot be read");
        return null;
      }
      if (c.usingDefault()) {
        refuse(
            response,
            "console_refused: the default admin/admin login is not allowed; the operator must"
                + " set a password (see the Briefcase README)");
        return null;
      }
      String[] given = basic(request.getHeader("Authorization"));
      if (given != null && c.matches(given[0], given[1])) {
        return c.user();
      }
      if (given != null) {
        LOG.warn("Briefcase console: failed login from {}", request.getRemoteAddr());
      }
      response.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
      response.setStatus(401);
      response.setContentType("text/plain;charset=utf-8");
      response.getWriter().write("401 login required\n");
      response.flushBuffer();
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void refuse(HttpServletResponse response, String message) throws IOException {
    refuse(response, 403, message);
  }

  private static void refuse(HttpServletResponse response, int status, String message)
      throws IOException {
    response.setStatus(status);
    response.setContentType("text/plain;charset=utf-8");
    response.getWriter().write(message + "\n");
    response.flushBuffer();
  }

  /** Whether a numeric remote address is a loopback address (no name lookup). */
  static boolean loopback(String address) {
    if (address == null || address.isEmpty()) {
      return false;
    }
    String a = address.startsWith("[") ? address.substring(1, address.length() - 1) : address;
    return a.startsWith("127.") || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
  }

  /** The user and password of a Basic header, or {@code null}. */
  static String[] basic(String header) {
    if (header == null
        || header.length() > 4096
        || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    return colon < 0
        ? null
        : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
  }

  @Override
  public boolean authorize(Object user, String role) {
    return user instanceof String;
  }

  @Override
  public void logout(HttpServletRequest request, HttpServletResponse response) {
    // HTTP Basic has no server-side session; the web console's own logout asks the browser
  }
}
