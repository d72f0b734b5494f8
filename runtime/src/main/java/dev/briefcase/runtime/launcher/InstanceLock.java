package dev.briefcase.runtime.launcher;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One kernel per data directory: an OS file lock on {@code <data_dir>/briefcased.lock}, held for
 * the life of the process, plus {@code <data_dir>/briefcased.pid}. The lock, not the pid file, is
 * the truth: the OS drops it when the process dies, so a stale pid file never blocks a start and
 * {@link #isHeld} never mistakes a recycled pid for a running kernel.
 */
public final class InstanceLock implements AutoCloseable {
  /** The lock file name inside the data directory. */
  public static final String LOCK_FILE = "briefcased.lock";

  /** The pid file name inside the data directory. */
  public static final String PID_FILE = "briefcased.pid";

  /**
   * Lock files held by this JVM. On Linux, closing any channel on a locked file drops the process's
   * lock, so an in-process check must not open a second channel on it.
   */
  private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

  private final Path dataDir;
  private final FileChannel channel;
  private final FileLock lock;

  private InstanceLock(Path dataDir, FileChannel channel, FileLock lock) {
    this.dataDir = dataDir;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock and writes this process's pid.
   *
   * @throws LaunchException "already running (pid N)" if another kernel holds it
   */
  public static InstanceLock acquire(Path dataDir) throws LaunchException {
    Path lockFile = dataDir.resolve(LOCK_FILE).toAbsolutePath().normalize();
    if (!HELD_HERE.add(lockFile)) {
      throw new LaunchException(alreadyRunning(dataDir));
    }
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = tryLock(channel);
      if (lock == null) {
        channel.close();
        HELD_HERE.remove(lockFile);
        throw new LaunchException(alreadyRunning(dataDir));
      }
      InstanceLock held = new InstanceLock(dataDir, channel, lock);
      Files.writeString(
          dataDir.resolve(PID_FILE),
          ProcessHandle.current().pid() + "\n",
          StandardCharsets.US_ASCII);
      return held;
    } catch (IOException e) {
      closeQuietly(channel);
      HELD_HERE.remove(lockFile);
      throw new LaunchException(
          "cannot lock " + dataDir.resolve(LOCK_FILE) + ": " + e.getMessage(), e);
    }
  }

  /** Whether some process (this one included) holds the lock of {@code dataDir}. */
  public static boolean isHeld(Path dataDir) {
    Path file = dataDir.resolve(LOCK_FILE).toAbsolutePath().normalize();
    if (HELD_HERE.contains(file)) {
      return true;
    }
    if (!Files.exists(file)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      FileLock lock = tryLock(channel);
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  /** The pid recorded in {@code <data_dir>/briefcased.pid}, if readable. */
  public static OptionalLong readPid(Path dataDir) {
    try {
      String text = Files.readString(dataDir.resolve(PID_FILE), StandardCharsets.US_ASCII).trim();
      return OptionalLong.of(Long.parseLong(text));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The message for a second start: {@code already running (pid N)}. */
  public static String alreadyRunning(Path dataDir) {
    OptionalLong pid = readPid(dataDir);
    return "already running (pid "
        + (pid.isPresent() ? Long.toString(pid.getAsLong()) : "unknown")
        + ", data dir "
        + dataDir
        + ")";
  }

  /** Removes the pid file and releases the lock. */
  @Override
  public void close() {
    try {
      Files.deleteIfExists(dataDir.resolve(PID_FILE));
    } catch (IOException e) {
      // a leftover pid file is harmless: the lock decides whether a kernel runs
    }
    try {
      lock.release();
    } catch (IOException e) {
      // the channel close below releases it too
    }
    closeQuietly(channel);
    HELD_HERE.remove(dataDir.resolve(LOCK_FILE).toAbsolutePath().normalize());
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by this JVM (a second launcher in the same process, or a test)
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing more to release
      }
    }
  }
}
