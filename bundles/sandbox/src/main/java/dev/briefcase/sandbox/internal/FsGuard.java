package dev.briefcase.sandbox.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Confines {@code fs_read}/{@code fs_write} to the manifest's filesystem prefixes: paths are
 * absolute, resolved with every symlink followed ({@link Path#toRealPath}) and compared per
 * component ({@link Path#startsWith(Path)}) with the canonical prefixes; writes go to a canonical
 * allowed parent, refuse a final component that is a symlink and open it without following links.
 */
final class FsGuard {

  private final List<Path> prefixes;

  FsGuard(List<String> allowedPrefixes) {
    List<Path> list = new ArrayList<>();
    for (String p : allowedPrefixes) {
      Path path = Path.of(p);
      if (!path.isAbsolute()) {
        throw new IllegalArgumentException("filesystem prefix must be absolute");
      }
      list.add(canonical(path.normalize()));
    }
    this.prefixes = List.copyOf(list);
  }

  /** The file's bytes; outside the prefixes, a non-regular file or over {@code max} = violation. */
  byte[] read(String raw, long max) throws IOException {
    Path lexical = absolute(raw);
    Path real;
    try {
      real = lexical.toRealPath();
    } catch (NoSuchFileException e) {
      // Say "not found" only where the tool may look; elsewhere do not reveal existence.
      requireAllowed(lexical);
      throw e;
    }
    requireAllowed(real);
    BasicFileAttributes attrs =
        Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isRegularFile()) {
      throw new Violation("fs path not a regular file");
    }
    if (attrs.size() > max) {
      throw new Violation("file too large");
    }
    try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
      byte[] data = in.readNBytes((int) max + 1);
      if (data.length > max) {
        throw new Violation("file too large");
      }
      return data;
    }
  }

  /** Writes {@code data}; the parent must be allowed, the final component not a symlink. */
  void write(String raw, byte[] data) throws IOException {
    Path lexical = absolute(raw);
    Path name = lexical.getFileName();
    Path parent = lexical.getParent();
    if (name == null || parent == null) {
      throw new Violation("fs path not allowed");
    }
    Path realParent;
    try {
      realParent = parent.toRealPath();
    } catch (NoSuchFileException e) {
      requireAllowed(parent);
      throw e;
    }
    requireAllowed(realParent);
    Path target = realParent.resolve(name.toString());
    if (Files.isSymbolicLink(target)) {
      throw new Violation("fs symlink refused");
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
        && !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new Violation("fs path not a regular file");
    }
    try (OutputStream out =
        Files.newOutputStream(
            target,
            LinkOption.NOFOLLOW_LINKS,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      out.write(data);
    }
  }

  private Path absolute(String raw) {
    if (raw == null || raw.isEmpty() || raw.indexOf('\0') >= 0) {
      throw new Violation("fs path not allowed");
    }
    Path p;
    try {
      p = Path.of(raw);
    } catch (InvalidPathException e) {
      throw new Violation("fs path not allowed");
    }
    if (!p.isAbsolute()) {
      throw new Violation("fs path not absolute");
    }
    // Lexical normalisation only decides what may be said about a missing file; access always
    // checks the real path.
    return p.normalize();
  }

  private void requireAllowed(Path p) {
    for (Path prefix : prefixes) {
      if (p.startsWith(prefix)) {
        return;
      }
    }
    throw new Violation("fs path not allowed");
  }

  private static Path canonical(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p;
    }
  }
}
