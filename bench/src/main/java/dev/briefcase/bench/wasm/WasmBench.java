package dev.briefcase.bench.wasm;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.sandbox.internal.SandboxTestHook;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Warm call overhead of a WASM tool against the same logic as a Java connector, in one JVM run,
 * plus cold instantiation. The tool is {@code echo} (the result is the args object): as a Java
 * {@link Connector} it copies the args node; as WASM it is a module whose {@code run} returns its
 * input, called through the connector's {@code execute} exactly as the kernel calls it (manifest
 * narrowing, args serialised into guest memory, fuel metering, result parsed back, the pooled
 * instance reset from its snapshot). A third variant runs the WASM tool without a pool (a fresh
 * instance per call), the alternative to snapshot/restore. Single-threaded closed loop; rounds
 * alternate the variants; medians of the rounds. Nothing is asserted.
 *
 * <pre>
 * java -cp "bench/target/dev.briefcase.bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/classpath.txt)" \
 *     dev.briefcase.bench.wasm.WasmBench [--quick] [--wat2wasm scripts/wat2wasm.sh]
 * </pre>
 */
public final class WasmBench {

  private static final String ECHO_WAT =
      "(module (memory (export \"memory\") 1)"
          + " (func (export \"run\") (param i32 i32) (result i64)"
          + " (i64.or (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32))"
          + " (i64.extend_i32_u (local.get 0)))))";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    String script = "scripts/wat2wasm.sh";
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--wat2wasm")) {
        script = args[i + 1];
      }
    }
    int warmupSec = quick ? 2 : 8;
    int measureSec = quick ? 2 : 6;
    int rounds = 3;
    byte[] wasm = compile(script, ECHO_WAT);

    ToolSpec spec =
        new ToolSpec(
            "echo",
            "echo",
            "echo",
            Map.of("type", "object", "additionalProperties", true),
            null,
            ToolSpec.READ,
            0,
            OutputFirewall.allowAll());
    ToolManifest denyAll = ToolManifest.denyAll("echo", "connector");
    Connector javaEcho =
        new Connector() {
          @Override
          public List<ToolSpec> tools() {
            return List.of(spec);
          }

          @Override
          public ToolResult execute(ToolInvocation call) {
            return ToolResult.of(call.args(), "local:echo");
          }
        };
    // the sandbox's published test hook (its test-jar): the same connector the extender builds
    Connector pooled = SandboxTestHook.connector(wasm, spec, true);
    Connector fresh = SandboxTestHook.connector(wasm, spec, false);
    Map<String, Object> callArgs =
        JSON.readValue("{\"text\":\"hello from the bench\",\"n\":42}", MAP);
    ToolInvocation inv =
        new ToolInvocation(
            "echo", callArgs, denyAll, new CallContext("bench", null, null, "bench"));

    Map<String, Connector> variants =
        new java.util.LinkedHashMap<>(
            Map.of("java", javaEcho, "wasm (pool, reset)", pooled, "wasm (fresh instance)", fresh));
    Map<String, List<double[]>> results = new java.util.LinkedHashMap<>();
    System.out.printf(
        "WASM tool call overhead (echo, Chicory %s interpreter), %d rounds, %d s each, 1 thread%n",
        "1.7.5", rounds, measureSec);
    for (Map.Entry<String, Connector> v : variants.entrySet()) {
      run(v.getValue(), inv, warmupSec); // warm-up
      results.put(v.getKey(), new ArrayList<>());
    }
    List<String> order = new ArrayList<>(variants.keySet());
    for (int r = 0; r < rounds; r++) {
      List<String> o = new ArrayList<>(order);
      if (r % 2 == 1) {
        java.util.Collections.reverse(o);
      }
      for (String name : o) {
        results.get(name).add(run(variants.get(name), inv, measureSec));
      }
    }
    System.out.printf("%-24s %10s %10s %12s%n", "variant", "p50 µs", "p99 µs", "calls/s");
    double[] javaMed = median(results.get("java"));
    for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
      double[] m = median(e.getValue());
      System.out.printf("%-24s %10.2f %10.2f %12.0f%n", e.getKey(), m[0], m[1], m[2]);
    }
    for (String w : List.of("wasm (pool, reset)", "wasm (fresh instance)")) {
      double[] m = median(results.get(w));
      System.out.printf(
          "%s vs java: p50 x%.0f (+%.2f µs), p99 x%.0f (+%.2f µs), throughput ratio %.3f%n",
          w,
          m[0] / javaMed[0],
          m[0] - javaMed[0],
          m[1] / javaMed[1],
          m[1] - javaMed[1],
          m[2] / javaMed[2]);
    }

    // Cold: parse + check + first instance (what a bundle install costs per tool), and a new
    // instance from an already parsed module (a pool miss).
    List<Double> parse = new ArrayList<>();
    List<Double> instantiate = new ArrayList<>();
    SandboxTestHook.ColdStart cold = new SandboxTestHook.ColdStart(wasm);
    for (int i = 0; i < (quick ? 200 : 1000); i++) {
      long t0 = System.nanoTime();
      cold.parseCheckInstantiate();
      long t1 = System.nanoTime();
      cold.instantiateParsed();
      long t2 = System.nanoTime();
      parse.add((t1 - t0) / 1000.0);
      instantiate.add((t2 - t1) / 1000.0);
    }
    java.util.Collections.sort(parse);
    java.util.Collections.sort(instantiate);
    System.out.printf(
        "cold: parse+check+instantiate p50 %.1f µs p99 %.1f µs; instantiate a parsed module p50"
            + " %.1f µs p99 %.1f µs (%d samples, echo module %d bytes)%n",
        pct(parse, 50),
        pct(parse, 99),
        pct(instantiate, 50),
        pct(instantiate, 99),
        parse.size(),
        wasm.length);
  }

  /** Calls for {@code seconds}; returns {p50 µs, p99 µs, calls/s}. */
  private static double[] run(Connector c, ToolInvocation inv, int seconds) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long start = System.nanoTime();
    long[] lat = new long[1 << 22];
    long count = 0;
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      ToolResult r = c.execute(inv);
      long t1 = System.nanoTime();
      if (!(r.content() instanceof Map<?, ?> m) || !m.containsKey("text")) {
        throw new IllegalStateException("wrong answer: " + r.content());
      }
      // a ring of the last 4 Mi latencies; the count covers every call
      lat[(int) (count++ % lat.length)] = t1 - t0;
    }
    double secs = (System.nanoTime() - start) / 1e9;
    int n = (int) Math.min(count, lat.length);
    long[] l = Arrays.copyOf(lat, n);
    Arrays.sort(l);
    return new double[] {l[n / 2] / 1000.0, l[(int) (n * 0.99)] / 1000.0, count / secs};
  }

  private static double[] median(List<double[]> rounds) {
    double[] out = new double[3];
    for (int i = 0; i < 3; i++) {
      final int k = i;
      double[] v = rounds.stream().mapToDouble(a -> a[k]).sorted().toArray();
      out[i] = v[v.length / 2];
    }
    return out;
  }

  private static double pct(List<Double> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
  }

  private static byte[] compile(String script, String wat) throws Exception {
    Path dir = Files.createTempDirectory("wasm-bench");
    Path in = dir.resolve("echo.wat");
    Path out = dir.resolve("echo.wasm");
    Files.writeString(in, wat);
    Process p = new ProcessBuilder("sh", script, in.toString(), out.toString()).inheritIO().start();
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("wat2wasm failed");
    }
    return Files.readAllBytes(out);
  }
}
