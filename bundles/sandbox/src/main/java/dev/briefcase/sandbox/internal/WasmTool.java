package dev.briefcase.sandbox.internal;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.ApprovalRequiredException;
import dev.briefcase.connector.SandboxViolationException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.edge.OneLine;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.tools.ToolManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Supplier;

/**
 * Runs one WebAssembly tool under its {@link ToolManifest} (SPEC §11). The module is parsed and
 * checked once; each {@link #run} takes a warm instance from a small pool (or makes one), writes
 * the args at {@code 0x1000}, calls {@code run(ptr, len) -> i64} and reads the packed {@code (len
 * << 32) | ptr} JSON result. No WASI: the module may import only the {@code host} functions of
 * {@link HostCalls#NAMES}, each {@code (i32, i32) -> i64}; anything else refuses instantiation.
 *
 * <p>Pooled instances are reset between calls: right after instantiation the whole linear memory
 * and every global are snapshotted, and after each call they are written back, so nothing one call
 * leaves in memory or globals is visible to the next. An instance whose call changed what a
 * snapshot cannot restore (memory or table growth, table writes, dropped segments) is discarded.
 * The validated args at {@code 0x1000} are read-only for the guest ({@code args mismatch}).
 *
 * <p>Every breach (fuel, wall clock, memory, sizes, out-of-bounds pointers, traps, refused egress
 * or paths) is a {@link SandboxViolationException} with a one-line message, and the instance that
 * breached is discarded. Thread-safe: each call holds its own instance.
 */
public final class WasmTool {

  private static final FunctionType IMPORT_TYPE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I64));

  private static final FunctionType RUN_TYPE = IMPORT_TYPE;

  private final WasmModule module;
  private final ToolManifest manifest;
  private final SandboxLimits limits;
  private final EgressClient egress;
  private final KvStore kv;
  private final Supplier<List<Path>> protectedPaths;
  private final ObjectMapper json = new ObjectMapper();
  private final BlockingQueue<Slot> pool;
  private volatile CallRules rules;
  private volatile boolean closed;

  /**
   * Parses and checks the module, with an in-memory {@code kv} namespace.
   *
   * @see #WasmTool(byte[], ToolManifest, SandboxLimits, EgressClient, KvStore, Supplier)
   */
  public WasmTool(byte[] wasm, ToolManifest manifest, SandboxLimits limits, EgressClient egress)
      throws ToolException {
    this(wasm, manifest, limits, egress, new MemoryKv(KvStore.DEFAULT_QUOTA), List::of);
  }

  /**
   * Parses and checks the module.
   *
   * @param wasm the binary module
   * @param manifest what the tool may reach when {@link #run(String)} is used; its {@code
   *     maxOutputBytes} caps output and each host result (clamped to 4 MiB)
   * @param limits memory, fuel, wall clock, dev loopback, pool size
   * @param egress the client {@code http_request} goes through
   * @param kv the tool's {@code kv_get}/{@code kv_put} namespace
   * @param protectedPaths the kernel's protected paths ({@code dev.briefcase.files}), asked at
   *     every filesystem call; {@code fs_read}/{@code fs_write} never reach them
   * @throws SandboxViolationException the module imports something not allowed, or declares more
   *     memory than the cap
   * @throws ToolException {@code wasm_module_invalid}: not a valid module or not the ABI
   */
  WasmTool(
      byte[] wasm,
      ToolManifest manifest,
      SandboxLimits limits,
      EgressClient egress,
      KvStore kv,
      Supplier<List<Path>> protectedPaths)
      throws ToolException {
    this.manifest = Objects.requireNonNull(manifest, "manifest");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.egress = Objects.requireNonNull(egress, "egress");
    this.kv = Objects.requireNonNull(kv, "kv");
    this.protectedPaths = Objects.requireNonNull(protectedPaths, "protectedPaths");
    this.rules = new CallRules(manifest, limits.devLoopback(), protectedPaths);
    this.pool = new ArrayBlockingQueue<>(Math.max(1, limits.poolSize()));
    try {
      this.module = Parser.parse(wasm);
    } catch (ChicoryException | IllegalArgumentException e) {
      throw new ToolException(
          ToolException.WASM_MODULE_INVALID, "wasm_module_invalid: not a valid module");
    }
    checkImports(module);
    checkMemory(module.memorySection().orElse(null));
    checkExports(module.exportSection());
    // Instantiate once now: a start function that breaches a limit, or a run export of the wrong
    // type, fails here rather than on the first call; the instance becomes the first warm one.
    Slot first;
    try {
      first = newSlot(System.nanoTime() + limits.wallClock().toNanos());
    } catch (Violation v) {
      throw new SandboxViolationException(v.getMessage());
    } catch (RuntimeException | StackOverflowError e) {
      throw translate(e);
    }
    if (limits.poolSize() > 0) {
      pool.offer(first);
    }
  }

  /** The manifest {@link #run(String)} runs under. */
  public ToolManifest manifest() {
    return manifest;
  }

  /**
   * Drops the warm instances; later calls fail with {@code backend_unavailable}. Calls already
   * running finish.
   */
  public void close() {
    closed = true;
    pool.clear();
  }

  /**
   * Runs the tool once under the manifest it was built with and without an approval.
   *
   * @see #run(String, ToolManifest, String)
   */
  public String run(String argsJson) throws ToolException {
    return run(argsJson, manifest, null);
  }

  /**
   * Runs the tool once.
   *
   * @param argsJson the validated arguments, a JSON document
   * @param inForce the manifest in force for this call
   * @param approvalId the human approval consumed for exactly this call, or {@code null}
   * @return the tool's result, a JSON document (re-serialised by the host)
   * @throws SandboxViolationException any limit breach or refused access
   * @throws ApprovalRequiredException the guest called {@code request_approval} without an approval
   * @throws ToolException {@code wasm_output_invalid} when the result is not JSON; {@code
   *     backend_unavailable} after {@link #close}
   */
  public String run(String argsJson, ToolManifest inForce, String approvalId) throws ToolException {
    if (closed) {
      throw ToolException.unavailable("wasm tool removed");
    }
    CallRules r = rulesFor(inForce);
    byte[] input = argsJson.getBytes(StandardCharsets.UTF_8);
    if (input.length > r.maxResultBytes) {
      throw new SandboxViolationException("input too large");
    }
    long deadline = System.nanoTime() + limits.wallClock().toNanos();
    Slot slot = pool.poll();
    boolean reusable = false;
    try {
      if (slot == null) {
        slot = newSlot(deadline);
      }
      slot.meter.start(limits.fuel(), deadline);
      slot.memory.writeInput(input);
      slot.host.attach(slot.memory, r, input, approvalId);
      long packed = slot.run.apply(GuestMemory.INPUT_BASE, input.length)[0];
      slot.host.checkArgs();
      long len = packed >>> 32;
      long ptr = packed & 0xffffffffL;
      if (len > r.maxResultBytes) {
        throw new Violation("output too large");
      }
      byte[] out = slot.memory.read(ptr, len);
      String result = normalise(out);
      reusable = true;
      return result;
    } catch (Violation v) {
      throw new SandboxViolationException(v.getMessage());
    } catch (ApprovalNeeded a) {
      throw new ApprovalRequiredException(a.getMessage());
    } catch (ToolException e) {
      // already coded (invalid output, a module that does not instantiate): keep its code
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw translate(e);
    } finally {
      if (slot != null) {
        slot.host.attach(null, null, null, null);
        // Back to the pool only in the state it had right after instantiation: nothing one call
        // wrote to memory or globals is visible to the next one.
        if (reusable && limits.poolSize() > 0 && !closed && slot.reset()) {
          pool.offer(slot);
        }
      }
    }
  }

  private CallRules rulesFor(ToolManifest inForce) {
    CallRules r = rules;
    if (!r.manifest.equals(inForce)) {
      r = new CallRules(inForce, limits.devLoopback(), protectedPaths);
      rules = r;
    }
    return r;
  }

  /** Instantiates the module now and throws the instance away: the cold start, for benchmarks. */
  void instantiateOnce() {
    newSlot(System.nanoTime() + limits.wallClock().toNanos());
  }

  private Slot newSlot(long deadline) {
    Meter meter = new Meter(limits.maxMemoryPages());
    meter.start(limits.fuel(), deadline);
    HostCalls host = new HostCalls(json, meter, egress, kv);
    List<ImportFunction> functions = new ArrayList<>();
    for (String name : HostCalls.NAMES) {
      functions.add(
          new HostFunction(
              HostCalls.MODULE,
              name,
              IMPORT_TYPE,
              (instance, args) -> new long[] {host.call(name, args[0], args[1])}));
    }
    Instance instance =
        Instance.builder(module)
            .withImportValues(ImportValues.builder().withFunctions(functions).build())
            .withMemoryFactory(
                declared -> {
                  // Clamp the declared maximum so the runtime itself also stops at the cap.
                  int max = Math.min(declared.maximumPages(), limits.maxMemoryPages());
                  ByteArrayMemory m =
                      new ByteArrayMemory(new MemoryLimits(declared.initialPages(), max));
                  meter.attach(m);
                  return m;
                })
            .withUnsafeExecutionListener(meter)
            .build();
    if (!RUN_TYPE.equals(instance.exportType("run"))) {
      throw new Violation("run must be (i32, i32) -> i64");
    }
    GuestMemory memory = new GuestMemory(instance.memory(), limits.maxMemoryPages());
    if (meter.dirty()) {
      // a start function that grew memory or wrote tables: usable once, never pooled
      return new Slot(instance.export("run"), meter, host, memory, instance, null, null);
    }
    int globals = instance.globalCount();
    long[] snapshotGlobals = new long[globals * 2];
    for (int i = 0; i < globals; i++) {
      GlobalInstance g = instance.global(i);
      snapshotGlobals[2 * i] = g.getValueLow();
      snapshotGlobals[2 * i + 1] = g.getValueHigh();
    }
    return new Slot(
        instance.export("run"), meter, host, memory, instance, memory.snapshot(), snapshotGlobals);
  }

  private String normalise(byte[] out) throws ToolException {
    try {
      JsonNode node = json.readTree(out);
      if (node == null || node.isMissingNode()) {
        throw new IOException("empty");
      }
      return json.writeValueAsString(node);
    } catch (IOException e) {
      throw new ToolException(
          ToolException.WASM_OUTPUT_INVALID, "wasm_output_invalid: result is not JSON");
    }
  }

  private static ToolException translate(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof Violation v) {
        return new SandboxViolationException(v.getMessage());
      }
      if (t instanceof ChicoryInterruptedException) {
        Thread.currentThread().interrupt();
        return new SandboxViolationException("interrupted");
      }
      if (t instanceof StackOverflowError) {
        return new SandboxViolationException("call stack exhausted");
      }
    }
    if (e instanceof ChicoryException) {
      return new SandboxViolationException("trap: " + OneLine.of(e.getMessage(), 120, "unknown"));
    }
    // A host-side bug, not the guest's doing: keep it out of the sandbox_violation code.
    return new ToolException(
        ToolException.WASM_RUNTIME_ERROR, "wasm_runtime_error: " + e.getClass().getName());
  }

  private static void checkImports(WasmModule module) throws SandboxViolationException {
    ImportSection imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      Import imp = imports.getImport(i);
      boolean ok =
          imp instanceof FunctionImport f
              && HostCalls.MODULE.equals(imp.module())
              && HostCalls.NAMES.contains(imp.name())
              && IMPORT_TYPE.equals(module.typeSection().getType(f.typeIndex()));
      if (!ok) {
        throw new SandboxViolationException("import not allowed");
      }
    }
  }

  private void checkMemory(MemorySection memories) throws ToolException {
    if (memories == null || memories.memoryCount() != 1) {
      throw new ToolException(
          ToolException.WASM_MODULE_INVALID, "wasm_module_invalid: needs one memory");
    }
    if (memories.getMemory(0).limits().initialPages() > limits.maxMemoryPages()) {
      throw new SandboxViolationException("memory limit exceeded");
    }
  }

  private static void checkExports(ExportSection exports) throws ToolException {
    boolean memory = false;
    boolean run = false;
    for (int i = 0; i < exports.exportCount(); i++) {
      Export e = exports.getExport(i);
      memory |= "memory".equals(e.name()) && e.exportType() == ExternalType.MEMORY;
      run |= "run".equals(e.name()) && e.exportType() == ExternalType.FUNCTION;
    }
    if (!memory || !run) {
      throw new ToolException(
          ToolException.WASM_MODULE_INVALID, "wasm_module_invalid: must export memory and run");
    }
  }

  /**
   * One warm instance with its meter, host side, memory view and the snapshot of memory and globals
   * taken right after instantiation.
   */
  private record Slot(
      ExportFunction run,
      Meter meter,
      HostCalls host,
      GuestMemory memory,
      Instance instance,
      byte[] memorySnapshot,
      long[] globalsSnapshot) {

    /** Restores the post-instantiation state; false when it cannot, so the slot is dropped. */
    boolean reset() {
      if (memorySnapshot == null || meter.dirty() || !memory.restore(memorySnapshot)) {
        return false;
      }
      for (int i = 0; i < globalsSnapshot.length / 2; i++) {
        GlobalInstance g = instance.global(i);
        if (g.getMutabilityType() == MutabilityType.Var) {
          g.setValueLow(globalsSnapshot[2 * i]);
          g.setValueHigh(globalsSnapshot[2 * i + 1]);
        }
      }
      return true;
    }
  }
}
