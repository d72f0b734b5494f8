package dev.briefcase.sandbox.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits one {@link WasmTool} runs under (SPEC §11). The per-result byte cap comes from the
 * tool's manifest ({@code max_output_bytes}) and is clamped to {@link #MAX_RESULT_BYTES_CEILING}.
 *
 * @param maxMemoryPages linear memory cap in 64 KiB pages (default 256 = 16 MiB)
 * @param fuel instructions one call may execute, instantiation included (default 50,000,000)
 * @param wallClock the hard wall clock of one call, host calls included (default and ceiling 10 s)
 * @param devLoopback dev mode for {@code http_request}: http and loopback addresses for loopback
 *     hosts (off by default; tests only)
 * @param poolSize warm instances kept per tool (0 = none)
 */
public record SandboxLimits(
    int maxMemoryPages, long fuel, Duration wallClock, boolean devLoopback, int poolSize) {

  /** No result, host result or output may ever exceed 4 MiB, whatever the manifest says. */
  public static final long MAX_RESULT_BYTES_CEILING = 4L << 20;

  /** The wall clock can be lowered, never raised above 10 s. */
  public static final Duration MAX_WALL_CLOCK = Duration.ofSeconds(10);

  /** Validates. */
  public SandboxLimits {
    if (maxMemoryPages < 1 || maxMemoryPages > 65536) {
      throw new IllegalArgumentException("maxMemoryPages must be 1..65536");
    }
    if (fuel < 1) {
      throw new IllegalArgumentException("fuel must be positive");
    }
    Objects.requireNonNull(wallClock, "wallClock");
    if (wallClock.isNegative() || wallClock.isZero() || wallClock.compareTo(MAX_WALL_CLOCK) > 0) {
      throw new IllegalArgumentException("wallClock must be in (0, 10 s]");
    }
    if (poolSize < 0) {
      throw new IllegalArgumentException("poolSize must not be negative");
    }
  }

  /** SPEC §11 defaults: 16 MiB, 50,000,000 fuel, 10 s, no loopback, a pool of 4. */
  public static SandboxLimits defaults() {
    return new SandboxLimits(256, 50_000_000L, MAX_WALL_CLOCK, false, 4);
  }

  /** These limits with another fuel budget. */
  public SandboxLimits withFuel(long f) {
    return new SandboxLimits(maxMemoryPages, f, wallClock, devLoopback, poolSize);
  }

  /** These limits with another memory cap. */
  public SandboxLimits withMaxMemoryPages(int pages) {
    return new SandboxLimits(pages, fuel, wallClock, devLoopback, poolSize);
  }

  /** These limits with another (lower) wall clock. */
  public SandboxLimits withWallClock(Duration d) {
    return new SandboxLimits(maxMemoryPages, fuel, d, devLoopback, poolSize);
  }

  /** These limits with loopback dev mode on or off. */
  public SandboxLimits withDevLoopback(boolean on) {
    return new SandboxLimits(maxMemoryPages, fuel, wallClock, on, poolSize);
  }

  /** These limits with another pool size. */
  public SandboxLimits withPoolSize(int size) {
    return new SandboxLimits(maxMemoryPages, fuel, wallClock, devLoopback, size);
  }
}
