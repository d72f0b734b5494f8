package dev.briefcase.runtime.cli;

import dev.briefcase.runtime.launcher.InstanceLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;

/**
 * {@code briefcase stop}: SIGTERM to the kernel (its shutdown hook stops the framework cleanly),
 * then waits for it to exit. The instance lock says whether a kernel runs, so a stale pid file
 * never leads to signalling an unrelated process that reused the pid.
 */
@Command(name = "stop", description = "Stop the running kernel.")
final class StopCommand extends AdminCommand implements Callable<Integer> {
  static final Duration STOP_WAIT = Duration.ofSeconds(40);

  @Override
  public Integer call() throws InterruptedException {
    Path dataDir = root().dataDir();
    Path pidFile = dataDir.resolve(InstanceLock.PID_FILE);
    if (!InstanceLock.isHeld(dataDir)) {
      deleteQuietly(pidFile);
      out().println("briefcase: not running (data dir " + dataDir + ")");
      return ExitCodes.OK;
    }
    OptionalLong pid = InstanceLock.readPid(dataDir);
    if (pid.isEmpty()) {
      throw new CliException(
          ExitCodes.ERROR, "briefcase: a kernel holds the lock but " + pidFile + " is unreadable");
    }
    if (pid.getAsLong() == ProcessHandle.current().pid()) {
      throw new CliException(ExitCodes.ERROR, "briefcase: the kernel runs in this process");
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid.getAsLong());
    if (handle.isEmpty() || !handle.get().isAlive()) {
      throw new CliException(
          ExitCodes.ERROR,
          "briefcase: a kernel holds the lock but pid " + pid.getAsLong() + " is not alive");
    }
    handle.get().destroy();
    try {
      handle.get().onExit().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new CliException(
          ExitCodes.ERROR,
          "briefcase: pid "
              + pid.getAsLong()
              + " did not stop within "
              + STOP_WAIT.toSeconds()
              + " s");
    } catch (ExecutionException e) {
      throw new CliException(ExitCodes.ERROR, "briefcase: waiting for the kernel failed");
    }
    deleteQuietly(pidFile);
    out().println("briefcase: stopped (pid " + pid.getAsLong() + ")");
    return ExitCodes.OK;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // harmless: the lock, not the pid file, decides
    }
  }
}
