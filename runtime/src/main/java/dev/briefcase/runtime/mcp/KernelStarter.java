package dev.briefcase.runtime.mcp;

import java.nio.file.Path;

/**
 * Starts a Briefcase kernel in the background for a data directory, as {@code briefcase start
 * --daemon} does, and returns once it is ready or has failed.
 */
@FunctionalInterface
public interface KernelStarter {
  /**
   * Starts the kernel.
   *
   * @return the kernel's pid, or -1 if unknown
   * @throws Exception with a one-line, secret-free message if it could not be started
   */
  long start(Path dataDir) throws Exception;
}
