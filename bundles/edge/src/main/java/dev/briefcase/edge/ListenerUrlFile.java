package dev.briefcase.edge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A listener's URL file in the data directory ({@code mcp.url}, {@code console.url}): written
 * owner-only and atomically ({@link OwnerOnlyFile#writeAtomically}) while the listener serves,
 * removed when it stops, so that only a serving listener advertises a URL. A file left by a kernel
 * that crashed is removed when this is made. Without a file ({@code null}) nothing is written and
 * only the published URL is remembered. Thread-safe.
 */
public final class ListenerUrlFile {
  private final Path file;
  private String published;

  /**
   * @param file the URL file, or {@code null} when there is no data directory
   * @throws IOException when a file left behind cannot be removed
   */
  public ListenerUrlFile(Path file) throws IOException {
    this.file = file;
    if (file != null) {
      Files.deleteIfExists(file);
    }
  }

  /** The file, or {@code null}. */
  public Path file() {
    return file;
  }

  /**
   * Writes {@code url} unless it is the one already published.
   *
   * @return whether the URL is new (and written, when there is a file)
   */
  public synchronized boolean publish(String url) throws IOException {
    if (url.equals(published)) {
      return false;
    }
    if (file != null) {
      OwnerOnlyFile.writeAtomically(file, url);
    }
    published = url;
    return true;
  }

  /** Removes the file of a published URL; returns whether there was one. */
  public synchronized boolean withdraw() throws IOException {
    if (published == null) {
      return false;
    }
    published = null;
    if (file != null) {
      Files.deleteIfExists(file);
    }
    return true;
  }

  /**
   * The URLs of an HTTP runtime's {@code osgi.http.endpoint} property (a string, an array or a
   * collection); empty for anything else.
   */
  public static List<String> endpoints(Object property) {
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

  /**
   * An IPv4 endpoint if there is one (simplest for clients), else the first, without an IPv6 zone
   * id; {@code null} when there is none.
   */
  public static String preferred(List<String> endpoints) {
    if (endpoints.isEmpty()) {
      return null;
    }
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

  /** {@code endpoint} (with or without a trailing slash) followed by {@code path} ("/mcp"). */
  public static String resolve(String endpoint, String path) {
    String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    return base + (path.startsWith("/") ? path : "/" + path);
  }
}
