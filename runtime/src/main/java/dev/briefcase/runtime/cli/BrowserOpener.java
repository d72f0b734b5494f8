package dev.briefcase.runtime.cli;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens a login URL in the user's browser when there is one: {@code xdg-open} when a graphical
 * session is announced ({@code DISPLAY} or {@code WAYLAND_DISPLAY}) and it is on {@code PATH}, else
 * {@code java.awt.Desktop} when it can browse. Best effort: it never throws, and the caller prints
 * the URL in every case. Only an http(s) URL is opened, as one argument (no shell), so an odd URL
 * from an authorization server's metadata cannot become a command or a local file.
 */
final class BrowserOpener {
  private final Map<String, String> env;

  BrowserOpener(Map<String, String> env) {
    this.env = env;
  }

  /** Whether a browser was asked to open {@code url}. */
  boolean open(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (Exception e) {
      return false;
    }
    if (!("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
      return false;
    }
    Optional<Path> xdgOpen = graphicalSession() ? onPath("xdg-open") : Optional.empty();
    if (xdgOpen.isPresent()) {
      try {
        ProcessBuilder pb =
            new ProcessBuilder(List.of(xdgOpen.get().toString(), uri.toString()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        // the browser gets the desktop session's variables, not Briefcase's own (a passphrase or
        // token given through the environment stays in this process)
        env.forEach(
            (k, v) -> {
              if (!k.startsWith("BRIEFCASE_")) {
                pb.environment().put(k, v);
              }
            });
        pb.start();
        return true;
      } catch (Exception e) {
        return false;
      }
    }
    return desktop(uri);
  }

  private boolean graphicalSession() {
    return !blank(env.get("DISPLAY")) || !blank(env.get("WAYLAND_DISPLAY"));
  }

  private Optional<Path> onPath(String program) {
    String path = env.get("PATH");
    if (blank(path)) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue; // an empty entry would mean the working directory
      }
      Path candidate = Path.of(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** macOS and Windows, or a Linux desktop without xdg-open; never on a headless JVM. */
  private static boolean desktop(URI uri) {
    try {
      if (java.awt.GraphicsEnvironment.isHeadless() || !java.awt.Desktop.isDesktopSupported()) {
        return false;
      }
      java.awt.Desktop desktop = java.awt.Desktop.getDesktop();
      if (!desktop.isSupported(java.awt.Desktop.Action.BROWSE)) {
        return false;
      }
      desktop.browse(uri);
      return true;
    } catch (Throwable e) {
      // no java.desktop module, no display, no handler: the printed URL is the fallback
      return false;
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
