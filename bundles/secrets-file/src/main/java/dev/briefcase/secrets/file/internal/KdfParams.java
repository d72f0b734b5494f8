package dev.briefcase.secrets.file.internal;

/**
 * Argon2id cost parameters as stored in {@code meta.json}. Bounds keep a hostile header from making
 * activation allocate gigabytes or spin forever.
 */
record KdfParams(int memoryKib, int iterations, int parallelism) {

  /** SPEC §12 floor (m=19 MiB, t=2), enforced for new stores and for existing ones in ga. */
  static final int SPEC_MIN_MEMORY_KIB = 19 * 1024;

  static final int SPEC_MIN_ITERATIONS = 2;
  static final int MAX_MEMORY_KIB = 1024 * 1024;
  static final int MAX_ITERATIONS = 64;
  static final int MAX_PARALLELISM = 16;

  /** Whether the parameters are inside the range this implementation accepts at all. */
  boolean inBounds() {
    return parallelism >= 1
        && parallelism <= MAX_PARALLELISM
        && iterations >= 1
        && iterations <= MAX_ITERATIONS
        // Argon2 needs at least 8 KiB per lane.
        && memoryKib >= 8 * parallelism
        && memoryKib <= MAX_MEMORY_KIB;
  }

  /** Whether the parameters reach the SPEC §12 minimum cost. */
  boolean meetsSpecFloor() {
    return memoryKib >= SPEC_MIN_MEMORY_KIB && iterations >= SPEC_MIN_ITERATIONS;
  }

  @Override
  public String toString() {
    return "argon2id(m=" + memoryKib + " KiB, t=" + iterations + ", p=" + parallelism + ")";
  }
}
