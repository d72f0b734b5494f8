package dev.briefcase.gateway.mcp.internal;

import dev.briefcase.edge.LoopbackAuthority;
import dev.briefcase.edge.OwnerOnlyFile;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <data_dir>/mcp.url}: the URL of {@code /mcp}, written (0600, atomically) from the HTTP
 * runtime's endpoints while the servlet is live and removed when it stops, so that only a serving
 * gateway advertises a URL. Without a data directory nothing is written. Callers serialise {@link
 * #publish} and {@link #withdraw} with their own liveness checks.
 */
final class UrlFile {
  private static final Logger LOG = LoggerFactory.getLogger(UrlFile.class);

  private final Path file;
  private String published;

  /** Removes a file left by a kernel that crashed; {@code file} may be {@code null}. */
  UrlFile(Path file) throws IOException {
    this.file = file;
    if (file != null) {
      Files.deleteIfExists(file);
    }
  }

  /**
   * Writes the URL for the runtime's {@code osgi.http.endpoint} property; an endpoint beyond
   * loopback makes {@code guard} require the token from now on.
   */
  void publish(Object endpointProperty, Guard guard) {
    List<String> endpoints = endpoints(endpointProperty);
    if (endpoints.isEmpty()) {
      LOG.warn("the HTTP runtime reports no endpoint; mcp.url not written");
      return;
    }
    try {
      for (String e : endpoints) {
        String host = URI.create(e).getHost();
        if (host != null
            && !LoopbackAuthority.isLoopbackName(host.replace("[", "").replace("]", ""))) {
          guard.markExposed();
        }
      }
      String base = preferred(endpoints);
      String url = base.endsWith("/") ? base + "mcp" : base + "/mcp";
      if (url.equals(published)) {
        return;
      }
      if (file != null) {
        OwnerOnlyFile.writeAtomically(file, url);
      }
      published = url;
      LOG.info("MCP gateway serving at {}", url);
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("could not publish the MCP URL: {}", e.toString());
    }
  }

  void withdraw() {
    if (published == null) {
      return;
    }
    published = null;
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("could not remove {}", file);
      }
    }
  }

  /** An IPv4 endpoint if there is one (simplest for clients), without an IPv6 zone id. */
  static String preferred(List<String> endpoints) {
    String pick = endpoints.get(0);
    for (String e : endpoints) {
      if (!e.contains("[")) {
        pick = e;
        break;
      }
    }
    int zone = pick.indexOf('%');
    int close = pick.indexOf(']');
    return zone > 0 && close > zone ? pick.substring(0, zone) + pick.substring(close) : pick;
  }

  private static List<String> endpoints(Object property) {
    List<String> out = new ArrayList<>();
    if (property instanceof String s) {
      out.add(s);
    } else if (property instanceof String[] a) {
      out.addAll(List.of(a));
    } else if (property instanceof Collection<?> c) {
      c.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }
}
