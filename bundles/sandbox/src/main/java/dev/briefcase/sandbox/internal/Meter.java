package dev.briefcase.sandbox.internal;

import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;

/**
 * Meters one instance: Chicory's interpreter calls {@link #onExecution} before every instruction,
 * so fuel (one unit per instruction), the wall clock and {@code memory.grow} / {@code table.grow}
 * requests are checked before they take effect. Reset by {@link #start} before each call; used by
 * one thread at a time.
 */
final class Meter implements ExecutionListener {

  /** The largest {@code table.grow} delta accepted in one instruction (tables hold references). */
  static final long MAX_TABLE_GROW = 1 << 16;

  private static final int CLOCK_CHECK_MASK = 1023;

  private final int maxPages;
  private long fuelLeft;
  private long deadlineNanos;
  private int tick;
  private boolean dirty;
  private Memory memory;

  Meter(int maxPages) {
    this.maxPages = maxPages;
  }

  /** Arms the meter for one call (or an instantiation). */
  void start(long fuel, long deadlineNanos) {
    this.fuelLeft = fuel;
    this.deadlineNanos = deadlineNanos;
    this.tick = 0;
    this.dirty = false;
  }

  /**
   * True when the last call changed state that a memory and globals snapshot cannot restore (memory
   * or table growth, table writes, dropped segments): the instance must not be reused.
   */
  boolean dirty() {
    return dirty;
  }

  /** The memory created for this instance, so growth can be checked against the cap. */
  void attach(Memory m) {
    this.memory = m;
  }

  long deadlineNanos() {
    return deadlineNanos;
  }

  /** Fails when the wall clock has run out; also called between host calls. */
  void checkClock() {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new Violation("wall clock exceeded");
    }
  }

  @Override
  public void onExecution(Instruction instruction, MStack stack) {
    if (--fuelLeft < 0) {
      throw new Violation("fuel exhausted");
    }
    if ((++tick & CLOCK_CHECK_MASK) == 0) {
      checkClock();
    }
    OpCode op = instruction.opcode();
    switch (op) {
      case TABLE_SET,
              TABLE_FILL,
              TABLE_COPY,
              TABLE_INIT,
              ELEM_DROP,
              DATA_DROP,
              TABLE_GROW,
              MEMORY_GROW ->
          dirty = true;
      default -> {
        return;
      }
    }
    if (op == OpCode.MEMORY_GROW) {
      long delta = stack.peek() & 0xffffffffL;
      int current = memory == null ? 0 : memory.pages();
      if (current + delta > maxPages) {
        throw new Violation("memory limit exceeded");
      }
    } else if (op == OpCode.TABLE_GROW) {
      long delta = stack.peek() & 0xffffffffL;
      if (delta > MAX_TABLE_GROW) {
        throw new Violation("table limit exceeded");
      }
    }
  }
}
