package dev.briefcase.plugins.internal;

import dev.briefcase.edge.OwnerOnlyFile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where plugins installed through the plugin service are kept, so they come back after a restart:
 * {@code <data_dir>/plugins/<symbolic name>.jar}, plus a {@code .stopped} marker for a plugin an
 * operator stopped. Jars are written owner-only and atomically ({@link OwnerOnlyFile#replace}: 0600
 * temp file, fsync, rename, fsync of the directory).
 */
final class PluginShelf {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private final Path dir;

  PluginShelf(Path dir) {
    this.dir = dir;
  }

  /** The jars on the shelf, in name order. */
  List<Path> jars() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
      s.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  void put(String symbolicName, byte[] jar) throws IOException {
    Path target = jar(symbolicName);
    Files.createDirectories(dir);
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX filesystem: the data directory's own protection applies
    }
    OwnerOnlyFile.replace(target, jar);
  }

  void remove(String symbolicName) throws IOException {
    Files.deleteIfExists(jar(symbolicName));
    Files.deleteIfExists(stoppedMarker(symbolicName));
  }

  void markStopped(String symbolicName, boolean stopped) throws IOException {
    if (stopped) {
      Files.createDirectories(dir);
      Files.write(stoppedMarker(symbolicName), new byte[0]);
    } else {
      Files.deleteIfExists(stoppedMarker(symbolicName));
    }
  }

  boolean stopped(String symbolicName) {
    return Files.exists(stoppedMarker(symbolicName));
  }

  private Path jar(String symbolicName) {
    return dir.resolve(checked(symbolicName) + ".jar");
  }

  private Path stoppedMarker(String symbolicName) {
    return dir.resolve(checked(symbolicName) + ".stopped");
  }

  private static String checked(String symbolicName) {
    if (!NAME.matcher(symbolicName).matches()) {
      throw new IllegalArgumentException("not a storable bundle name: " + symbolicName);
    }
    return symbolicName;
  }
}
