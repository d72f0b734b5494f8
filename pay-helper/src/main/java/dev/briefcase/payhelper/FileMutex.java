package dev.briefcase.payhelper;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a lock file, across processes and across threads of this process. A {@link
 * FileLock} alone is held on behalf of the whole JVM (a second thread gets {@code
 * OverlappingFileLockException} instead of waiting), so threads first queue on an in-process lock
 * for the same path. Lock files are never deleted: a process may already hold an open descriptor of
 * the file and would then lock an unlinked inode that nobody else sees.
 */
final class FileMutex {
  // one per lock file path of this process; the helper is a short-lived program, so it stays small
  private static final ConcurrentMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();

  private FileMutex() {}

  /** Waits for the lock of {@code file} (created if absent) and holds it until closed. */
  static Held lock(Path file) throws IOException {
    ReentrantLock local =
        LOCAL.computeIfAbsent(file.toAbsolutePath().normalize(), p -> new ReentrantLock());
    local.lock();
    FileChannel ch = null;
    try {
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      return held(ch, ch.lock(), local);
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      local.unlock();
      throw e;
    }
  }

  /** The lock of {@code file} if nobody holds it now, else null (never waits). */
  static Held tryLock(Path file) throws IOException {
    ReentrantLock local =
        LOCAL.computeIfAbsent(file.toAbsolutePath().normalize(), p -> new ReentrantLock());
    if (local.isHeldByCurrentThread() || !local.tryLock()) {
      return null;
    }
    FileChannel ch = null;
    try {
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = ch.tryLock();
      if (lock == null) {
        ch.close();
        local.unlock();
        return null;
      }
      return held(ch, lock, local);
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      local.unlock();
      throw e;
    }
  }

  private static Held held(FileChannel channel, FileLock lock, ReentrantLock local) {
    return () -> {
      try {
        lock.release();
        channel.close();
      } finally {
        local.unlock();
      }
    };
  }

  /** A held lock. */
  interface Held extends AutoCloseable {
    @Override
    void close() throws IOException;
  }
}
