package dev.briefcase.sandbox.internal;

import com.dylibso.chicory.runtime.Memory;

/**
 * Bounds-checked access to a guest's linear memory plus the host's bump allocator (SPEC §11: input
 * at {@code 0x1000}, host results from {@code 0x2000}, next = ptr + len + 8, memory grown as needed
 * within the cap). Every pointer and length the guest hands the host goes through {@link #read}.
 */
final class GuestMemory {

  /** Where the call's input is written. */
  static final int INPUT_BASE = 0x1000;

  /** Where host results start (unless the input is longer, then right after it). */
  static final int RESULT_BASE = 0x2000;

  private final Memory memory;
  private final int maxPages;
  private long next;

  GuestMemory(Memory memory, int maxPages) {
    this.memory = memory;
    this.maxPages = maxPages;
  }

  /** The packed {@code (len << 32) | ptr} form of the ABI. */
  static long pack(long ptr, long len) {
    return (len << 32) | (ptr & 0xffffffffL);
  }

  /** The current size of the memory in bytes. */
  long size() {
    return (long) memory.pages() * Memory.PAGE_SIZE;
  }

  /** Copies {@code len} bytes at {@code ptr} out of the guest; out of bounds is a violation. */
  byte[] read(long ptr, long len) {
    long p = ptr & 0xffffffffL;
    long n = len & 0xffffffffL;
    if (p + n > size()) {
      throw new Violation("out-of-bounds pointer");
    }
    return memory.readBytes((int) p, (int) n);
  }

  /** Whether the bytes at {@code base} are exactly {@code expected}. */
  boolean matches(int base, byte[] expected) {
    if (base + (long) expected.length > size()) {
      return false;
    }
    return java.util.Arrays.equals(memory.readBytes(base, expected.length), expected);
  }

  /** The whole memory, as a snapshot for {@link #restore}. */
  byte[] snapshot() {
    return memory.readBytes(0, (int) size());
  }

  /**
   * Puts a {@link #snapshot} back; false (and nothing written) when the memory no longer has the
   * snapshot's size, because a grown memory cannot shrink.
   */
  boolean restore(byte[] snapshot) {
    if (size() != snapshot.length) {
      return false;
    }
    memory.write(0, snapshot);
    return true;
  }

  /** Writes the input at {@link #INPUT_BASE} and resets the bump allocator behind it. */
  void writeInput(byte[] input) {
    ensure(INPUT_BASE + (long) input.length);
    memory.write(INPUT_BASE, input);
    next = Math.max(RESULT_BASE, align8(INPUT_BASE + (long) input.length + 8));
  }

  /** Bump-allocates {@code data} and returns its packed pointer. */
  long allocate(byte[] data) {
    long ptr = next;
    ensure(ptr + data.length);
    memory.write((int) ptr, data);
    next = align8(ptr + data.length + 8);
    return pack(ptr, data.length);
  }

  private void ensure(long end) {
    if (end > (long) maxPages * Memory.PAGE_SIZE) {
      throw new Violation("memory limit exceeded");
    }
    long missing = end - size();
    if (missing > 0) {
      int pages = (int) ((missing + Memory.PAGE_SIZE - 1) / Memory.PAGE_SIZE);
      if (memory.grow(pages) < 0) {
        throw new Violation("memory limit exceeded");
      }
    }
  }

  private static long align8(long v) {
    return (v + 7) & ~7L;
  }
}
