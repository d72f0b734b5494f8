package dev.briefcase.fsguard;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * File access confined to allowed directory prefixes, never reaching a protected path.
 *
 * <p>Order of checks: the requested path must be absolute; {@code ..} is resolved lexically and
 * that normalized path must lie under a prefix (per component) before the filesystem is touched, so
 * a path outside the prefixes is refused the same way whether it exists or not. The file is then
 * reached one component at a time from the prefix's real directory, without following links: with
 * {@link SecureDirectoryStream} (Linux: {@code openat}, {@code O_NOFOLLOW}) each directory is
 * opened relative to the one before, so a component swapped for a symlink after its check cannot
 * redirect the open. A symlink met on the way is followed only when its normalized target again
 * lies under a prefix (the walk restarts there). Every directory and file on the way is compared by
 * path and by file key with the protected paths. After opening, the file's key must still be the
 * one checked.
 *
 * <p>Immutable and thread-safe. Protected paths are resolved at each call, so a directory created
 * after construction is still protected.
 */
public final class ConfinedFiles {

  /** Symlinks followed in one resolution at most (Linux's own limit). */
  public static final int MAX_LINKS = 40;

  /** Files listed per protected directory for hard-link detection, at most. */
  private static final int MAX_LISTED = 1024;

  private final List<Path> prefixes;
  private final Collection<Path> protectedPaths;
  private final Consumer<Path> beforeOpen;

  /**
   * @param allowedPrefixes absolute directory prefixes; an empty list allows nothing
   * @param protectedPaths absolute paths (directories or files) never accessed, whatever the
   *     prefixes allow
   * @throws IllegalArgumentException a prefix or protected path is not absolute
   */
  public ConfinedFiles(List<String> allowedPrefixes, Collection<Path> protectedPaths) {
    this(allowedPrefixes, protectedPaths, p -> {});
  }

  /** With a hook run just before each open, for the race tests. */
  ConfinedFiles(
      List<String> allowedPrefixes, Collection<Path> protectedPaths, Consumer<Path> beforeOpen) {
    List<Path> list = new ArrayList<>();
    for (String p : allowedPrefixes) {
      Path path;
      try {
        path = Path.of(p);
      } catch (InvalidPathException e) {
        throw new IllegalArgumentException("filesystem prefix is not a path");
      }
      if (!path.isAbsolute()) {
        throw new IllegalArgumentException("filesystem prefix must be absolute");
      }
      list.add(path.normalize());
    }
    for (Path p : protectedPaths) {
      if (!p.isAbsolute()) {
        throw new IllegalArgumentException("protected path must be absolute");
      }
    }
    this.prefixes = List.copyOf(list);
    this.protectedPaths = List.copyOf(protectedPaths);
    this.beforeOpen = beforeOpen;
  }

  /**
   * The bytes of a regular file.
   *
   * @throws FsRefusal the access is not allowed (see the codes of {@link FsRefusal})
   * @throws NoSuchFileException the file does not exist (only said under an allowed prefix)
   * @throws IOException it could not be read
   */
  public byte[] read(String raw, long max) throws IOException {
    Guard guard = new Guard();
    Target t = resolve(locate(absolute(raw), guard), guard, false);
    try (Dir dir = t.dir) {
      if (!t.attrs.isRegularFile()) {
        throw new FsRefusal(FsRefusal.NOT_A_FILE, "not a regular file");
      }
      if (t.attrs.size() > max) {
        throw new FsRefusal(FsRefusal.TOO_LARGE, "file too large");
      }
      beforeOpen.accept(dir.path().resolve(t.name));
      try (SeekableByteChannel ch =
          open(dir, t.name, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        verifyOpened(dir, t, guard);
        InputStream in = Channels.newInputStream(ch);
        byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (data.length > max) {
          throw new FsRefusal(FsRefusal.TOO_LARGE, "file too large");
        }
        return data;
      }
    }
  }

  /**
   * Creates or replaces a regular file; its directory must exist (links on the way are followed
   * inside the prefixes, as for reads). A final component that is a symlink is refused.
   *
   * @throws FsRefusal the access is not allowed
   * @throws NoSuchFileException the directory does not exist (only said under an allowed prefix)
   */
  public void write(String raw, byte[] data) throws IOException {
    Guard guard = new Guard();
    Target t = resolve(locate(absolute(raw), guard), guard, true);
    try (Dir dir = t.dir) {
      if (t.attrs != null && !t.attrs.isRegularFile()) {
        throw new FsRefusal(FsRefusal.NOT_A_FILE, "not a regular file");
      }
      beforeOpen.accept(dir.path().resolve(t.name));
      try (SeekableByteChannel ch =
          open(
              dir,
              t.name,
              StandardOpenOption.WRITE,
              StandardOpenOption.CREATE,
              LinkOption.NOFOLLOW_LINKS)) {
        BasicFileAttributes now = dir.attrs(t.name);
        if (!now.isRegularFile()
            || (t.attrs != null && !Objects.equals(now.fileKey(), t.attrs.fileKey()))) {
          throw new FsRefusal(FsRefusal.CHANGED, "file changed while it was opened");
        }
        guard.checkKey(now.fileKey());
        // truncated only now: a hard link swapped in before the open is checked first
        ch.truncate(0);
        OutputStream out = Channels.newOutputStream(ch);
        out.write(data);
        out.flush();
      }
    }
  }

  // --- resolution ---

  /** Where a normalized path lies: the prefix's real directory and the names below it. */
  private record Located(Path root, List<String> names) {}

  /** The directory holding the final component, its name and its attributes (null: missing). */
  private record Target(Dir dir, String name, BasicFileAttributes attrs) {}

  private static Path absolute(String raw) {
    if (raw == null || raw.isEmpty() || raw.indexOf('\0') >= 0) {
      throw new FsRefusal(FsRefusal.INVALID, "invalid path");
    }
    Path p;
    try {
      p = Path.of(raw);
    } catch (InvalidPathException e) {
      throw new FsRefusal(FsRefusal.INVALID, "invalid path");
    }
    if (!p.isAbsolute()) {
      throw new FsRefusal(FsRefusal.NOT_ABSOLUTE, "path must be absolute");
    }
    return p.normalize();
  }

  /**
   * The prefix {@code p} lies under, decided on the normalized path alone; the only filesystem
   * access is resolving the prefixes themselves (operator configuration, not the request).
   */
  private Located locate(Path p, Guard guard) {
    for (Path prefix : prefixes) {
      Path real = realOrNull(prefix);
      Path base = p.startsWith(prefix) ? prefix : null;
      if (base == null && real != null && p.startsWith(real)) {
        base = real;
      }
      if (base != null) {
        guard.checkPath(p);
        List<String> names = new ArrayList<>();
        for (Path n : base.relativize(p)) {
          if (!n.toString().isEmpty()) {
            names.add(n.toString());
          }
        }
        return new Located(real, names);
      }
    }
    throw new FsRefusal(FsRefusal.OUTSIDE, "path is outside the allowed directories");
  }

  private Target resolve(Located start, Guard guard, boolean forWrite) throws IOException {
    if (start.root == null) {
      // the prefix itself does not exist: nothing under it does
      throw new NoSuchFileException("file not found");
    }
    Deque<String> todo = new ArrayDeque<>(start.names);
    Dir dir = openRoot(start.root, guard);
    int links = 0;
    try {
      while (true) {
        if (todo.isEmpty()) {
          // the request names the prefix directory itself
          throw new FsRefusal(FsRefusal.NOT_A_FILE, "not a regular file");
        }
        String name = todo.removeFirst();
        Path here = dir.path().resolve(name);
        guard.checkPath(here);
        BasicFileAttributes a;
        try {
          a = dir.attrs(name);
        } catch (NoSuchFileException e) {
          if (forWrite && todo.isEmpty()) {
            return new Target(dir, name, null);
          }
          throw new NoSuchFileException("file not found");
        }
        guard.checkKey(a.fileKey());
        if (a.isSymbolicLink()) {
          if (forWrite && todo.isEmpty()) {
            throw new FsRefusal(FsRefusal.SYMLINK, "symlink refused");
          }
          if (++links > MAX_LINKS) {
            throw new FsRefusal(FsRefusal.TOO_MANY_LINKS, "too many symlinks");
          }
          Path target = Files.readSymbolicLink(here);
          Path next = (target.isAbsolute() ? target : dir.path().resolve(target)).normalize();
          // a link out of the prefixes is an escape, whatever it points at and whether it exists
          Located again = locate(next, guard);
          if (again.root == null) {
            throw new NoSuchFileException("file not found");
          }
          List<String> rest = new ArrayList<>(again.names);
          rest.addAll(todo);
          todo = new ArrayDeque<>(rest);
          dir.close();
          dir = openRoot(again.root, guard);
          continue;
        }
        if (todo.isEmpty()) {
          return new Target(dir, name, a);
        }
        if (!a.isDirectory()) {
          throw new NoSuchFileException("file not found");
        }
        beforeOpen.accept(here);
        Dir child;
        try {
          child = dir.child(name, a);
        } catch (IOException e) {
          if (e instanceof NoSuchFileException) {
            throw new NoSuchFileException("file not found");
          }
          // replaced by a link or a file since its check: look at it again
          if (++links > MAX_LINKS) {
            throw new FsRefusal(FsRefusal.TOO_MANY_LINKS, "too many symlinks");
          }
          todo.addFirst(name);
          continue;
        }
        dir.close();
        dir = child;
      }
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
    }
  }

  private static SeekableByteChannel open(Dir dir, String name, OpenOption... options)
      throws IOException {
    try {
      return dir.open(name, Set.of(options));
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException("file not found");
    } catch (IOException e) {
      // O_NOFOLLOW on a link swapped in after the check (ELOOP)
      BasicFileAttributes now;
      try {
        now = dir.attrs(name);
      } catch (IOException gone) {
        throw e;
      }
      if (now.isSymbolicLink()) {
        throw new FsRefusal(FsRefusal.CHANGED, "file changed while it was opened");
      }
      throw e;
    }
  }

  private static void verifyOpened(Dir dir, Target t, Guard guard) throws IOException {
    BasicFileAttributes now = dir.attrs(t.name);
    if (!now.isRegularFile() || !Objects.equals(now.fileKey(), t.attrs.fileKey())) {
      throw new FsRefusal(FsRefusal.CHANGED, "file changed while it was opened");
    }
    guard.checkKey(now.fileKey());
  }

  private static Path realOrNull(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException | SecurityException e) {
      return null;
    }
  }

  private static Dir openRoot(Path real, Guard guard) throws IOException {
    guard.checkPath(real);
    DirectoryStream<Path> ds;
    try {
      ds = Files.newDirectoryStream(real);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException("file not found");
    }
    if (ds instanceof SecureDirectoryStream<Path> sds) {
      Dir d = new SecureDir(sds, real);
      guard.checkKey(d.self().fileKey());
      return d;
    }
    ds.close();
    Dir d = new PlainDir(real);
    guard.checkKey(d.self().fileKey());
    return d;
  }

  // --- protected paths ---

  /** The protected paths of one call: their normalized and real forms and their file keys. */
  private final class Guard {
    private final Set<Path> paths = new LinkedHashSet<>();
    private final Set<Object> keys = new HashSet<>();

    Guard() {
      for (Path p : protectedPaths) {
        Path n = p.normalize();
        paths.add(n);
        Path real = realOrNull(n);
        if (real == null) {
          continue;
        }
        paths.add(real);
        addKey(real);
        if (Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
          // a hard link elsewhere to a file directly in a protected directory is that file
          try (Stream<Path> files = Files.list(real)) {
            files.limit(MAX_LISTED).forEach(this::addKey);
          } catch (IOException | RuntimeException e) {
            // unreadable: the path comparison still holds
          }
        }
      }
    }

    private void addKey(Path p) {
      try {
        Object key =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        if (key != null) {
          keys.add(key);
        }
      } catch (IOException | RuntimeException e) {
        // gone meanwhile
      }
    }

    void checkPath(Path p) {
      for (Path q : paths) {
        if (p.startsWith(q)) {
          throw new FsRefusal(FsRefusal.PROTECTED, "protected_path");
        }
      }
    }

    void checkKey(Object key) {
      if (key != null && keys.contains(key)) {
        throw new FsRefusal(FsRefusal.PROTECTED, "protected_path");
      }
    }
  }

  // --- directories ---

  /** An open directory whose {@link #path()} is symlink-free. */
  private interface Dir extends Closeable {
    Path path();

    BasicFileAttributes self() throws IOException;

    /** Attributes of an entry, not following a link. */
    BasicFileAttributes attrs(String name) throws IOException;

    /** Opens a subdirectory without following a link; fails if it is no longer {@code seen}. */
    Dir child(String name, BasicFileAttributes seen) throws IOException;

    /** Opens an entry; {@code options} include {@link LinkOption#NOFOLLOW_LINKS}. */
    SeekableByteChannel open(String name, Set<OpenOption> options) throws IOException;

    @Override
    void close() throws IOException;
  }

  /** {@code openat}-relative access: an entry is always looked up in this very directory. */
  private static final class SecureDir implements Dir {
    private final SecureDirectoryStream<Path> ds;
    private final Path path;

    SecureDir(SecureDirectoryStream<Path> ds, Path path) {
      this.ds = ds;
      this.path = path;
    }

    @Override
    public Path path() {
      return path;
    }

    @Override
    public BasicFileAttributes self() throws IOException {
      return ds.getFileAttributeView(BasicFileAttributeView.class).readAttributes();
    }

    @Override
    public BasicFileAttributes attrs(String name) throws IOException {
      return ds.getFileAttributeView(
              Path.of(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
    }

    @Override
    public Dir child(String name, BasicFileAttributes seen) throws IOException {
      SecureDirectoryStream<Path> c =
          ds.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS);
      SecureDir d = new SecureDir(c, path.resolve(name));
      BasicFileAttributes opened;
      try {
        opened = d.self();
      } catch (IOException e) {
        d.close();
        throw e;
      }
      if (!Objects.equals(opened.fileKey(), seen.fileKey())) {
        d.close();
        throw new FileSystemException("directory changed");
      }
      return d;
    }

    @Override
    public SeekableByteChannel open(String name, Set<OpenOption> options) throws IOException {
      return ds.newByteChannel(Path.of(name), options);
    }

    @Override
    public void close() throws IOException {
      ds.close();
    }
  }

  /**
   * Path-based access where the platform has no {@link SecureDirectoryStream}: each step is checked
   * without following links and the opened path is compared with its real path afterwards.
   */
  private static final class PlainDir implements Dir {
    private final Path path;

    PlainDir(Path path) {
      this.path = path;
    }

    @Override
    public Path path() {
      return path;
    }

    @Override
    public BasicFileAttributes self() throws IOException {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public BasicFileAttributes attrs(String name) throws IOException {
      return Files.readAttributes(
          path.resolve(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public Dir child(String name, BasicFileAttributes seen) {
      return new PlainDir(path.resolve(name));
    }

    @Override
    public SeekableByteChannel open(String name, Set<OpenOption> options) throws IOException {
      Path p = path.resolve(name);
      SeekableByteChannel ch = Files.newByteChannel(p, options);
      try {
        if (!p.toRealPath().equals(p)) {
          throw new FsRefusal(FsRefusal.CHANGED, "file changed while it was opened");
        }
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      return ch;
    }

    @Override
    public void close() {}
  }
}
