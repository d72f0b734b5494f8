package dev.briefcase.bench.sign;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.pkcs11.internal.Pkcs11Signer;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.signer.tpm2.internal.Tpm2Signer;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;

/**
 * Signatures per second and latency percentiles of every signer backend in one run: software
 * (Ed25519, P-256), PKCS#11 on a fresh SoftHSM2 token (P-256) and TPM 2.0 on a fresh swtpm (P-256).
 * Sets SoftHSM and swtpm up the way the signer tests do (installing the Debian packages when
 * missing). The PKCS#11 library reads {@code SOFTHSM2_CONF} from the process environment, so the
 * bench re-launches itself once with it set. Nothing is asserted; it prints a table.
 *
 * <p>Options: {@code --seconds S} (5, per backend), {@code --warmup S} (1), {@code --threads N} (1;
 * the hardware signers serialize their calls anyway), {@code --only software,pkcs11,tpm2}.
 */
public final class SignBench {
  private static final byte[] MESSAGE =
      "{\"typ\":\"dpop+jwt\"}.{\"htm\":\"POST\",\"htu\":\"https://rs.example/x\"}"
          .getBytes(StandardCharsets.US_ASCII);
  private static final String SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

  private SignBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = options(args);
    double seconds = Double.parseDouble(opt.getOrDefault("seconds", "5"));
    double warmup = Double.parseDouble(opt.getOrDefault("warmup", "1"));
    int threads = Integer.parseInt(opt.getOrDefault("threads", "1"));
    List<String> only = Arrays.asList(opt.getOrDefault("only", "software,pkcs11,tpm2").split(","));
    Path dir = Files.createTempDirectory("briefcase-signbench");

    if (only.contains("pkcs11") && System.getenv("SOFTHSM2_CONF") == null) {
      Path conf = softHsm(dir.resolve("softhsm"));
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.add("-Xmx256m");
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(SignBench.class.getName());
      cmd.addAll(Arrays.asList(args));
      ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
      pb.environment().put("SOFTHSM2_CONF", conf.toString());
      System.exit(pb.start().waitFor());
      return;
    }

    System.out.printf(
        "sign bench: %d thread(s), %.0f s warm-up + %.0f s per backend, load average %s%n",
        threads, warmup, seconds, loadAverage());
    MemoryStore store = new MemoryStore();
    List<Row> rows = new ArrayList<>();
    if (only.contains("software")) {
      SoftwareSigner software = new SoftwareSigner(store, noFramework());
      rows.add(run("software", KeyAlgorithm.ED25519, software, threads, warmup, seconds));
      rows.add(run("software", KeyAlgorithm.P256, software, threads, warmup, seconds));
    }
    if (only.contains("pkcs11")) {
      store.put("bench.pin", Sensitive.of("5678".getBytes(StandardCharsets.UTF_8)));
      Pkcs11Signer pkcs11 =
          new Pkcs11Signer(
              store,
              config(
                  Pkcs11Signer.Config.class,
                  Map.of(
                      "signer_id", "pkcs11",
                      "module_path", SOFTHSM_MODULE,
                      "token_label", "briefcase-bench",
                      "pin_secret_id", "bench.pin")));
      rows.add(run("pkcs11 (SoftHSM2)", KeyAlgorithm.P256, pkcs11, threads, warmup, seconds));
    }
    if (only.contains("tpm2")) {
      try (Swtpm tpm = Swtpm.start(dir.resolve("swtpm"))) {
        Tpm2Signer tpm2 =
            new Tpm2Signer(
                store,
                config(
                    Tpm2Signer.Config.class,
                    Map.of("signer_id", "tpm2", "device", "tcp:127.0.0.1:" + tpm.port)));
        rows.add(run("tpm2 (swtpm)", KeyAlgorithm.P256, tpm2, threads, warmup, seconds));
      }
    }
    System.out.printf(
        "%n%-20s %-8s %12s %10s %10s %10s%n",
        "backend", "alg", "signs/s", "p50 ms", "p99 ms", "max ms");
    for (Row r : rows) {
      System.out.printf(
          "%-20s %-8s %12.0f %10.3f %10.3f %10.3f%n",
          r.backend, r.alg, r.perSecond, r.p50, r.p99, r.max);
    }
    System.out.printf("load average at the end: %s%n", loadAverage());
  }

  private record Row(
      String backend, String alg, double perSecond, double p50, double p99, double max) {}

  private static Row run(
      String name, KeyAlgorithm alg, Signer signer, int threads, double warmup, double seconds)
      throws Exception {
    KeyHandle key = signer.generate(alg, "bench");
    long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
    while (System.nanoTime() < warmEnd) {
      signer.sign(key, MESSAGE);
    }
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<long[]> perThread = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    long[] counts = new long[threads];
    Exception[] failure = new Exception[1];
    for (int t = 0; t < threads; t++) {
      long[] lat = new long[2_000_000];
      perThread.add(lat);
      int idx = t;
      Thread w =
          new Thread(
              () -> {
                int n = 0;
                try {
                  while (System.nanoTime() < end && n < lat.length) {
                    long t0 = System.nanoTime();
                    signer.sign(key, MESSAGE);
                    lat[n++] = System.nanoTime() - t0;
                  }
                } catch (Exception e) {
                  failure[0] = e;
                }
                counts[idx] = n;
              });
      workers.add(w);
    }
    long start = System.nanoTime();
    workers.forEach(Thread::start);
    for (Thread w : workers) {
      w.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (failure[0] != null) {
      throw failure[0];
    }
    long total = Arrays.stream(counts).sum();
    long[] all = new long[(int) total];
    int off = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(perThread.get(t), 0, all, off, (int) counts[t]);
      off += (int) counts[t];
    }
    Arrays.sort(all);
    signer.delete(key);
    Row r =
        new Row(
            name,
            alg.name().toLowerCase(),
            total / elapsed,
            pct(all, 0.50),
            pct(all, 0.99),
            all.length == 0 ? 0 : all[all.length - 1] / 1e6);
    System.out.printf("  %-20s %-8s %d signatures in %.1f s%n", name, r.alg(), total, elapsed);
    return r;
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
  }

  /** A component-property-type stand-in: attribute name → value. */
  @SuppressWarnings("unchecked")
  private static <T> T config(Class<T> type, Map<String, String> values) {
    return (T)
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            (proxy, method, a) -> {
              if (values.containsKey(method.getName())) {
                return values.get(method.getName());
              }
              if (method.getName().equals("annotationType")) {
                return type;
              }
              return method.getDefaultValue();
            });
  }

  /** A bundle context whose framework properties are all unset (profile reference). */
  private static BundleContext noFramework() {
    return (BundleContext)
        Proxy.newProxyInstance(
            BundleContext.class.getClassLoader(),
            new Class<?>[] {BundleContext.class},
            (proxy, method, a) -> {
              if (method.getName().equals("getProperty")) {
                return null;
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  private static Path softHsm(Path dir) throws Exception {
    if (!onPath("softhsm2-util") || !new File(SOFTHSM_MODULE).exists()) {
      sh("apt-get update -qq && apt-get install -y -qq softhsm2 >/dev/null", null);
    }
    Path tokens = Files.createDirectories(dir.resolve("tokens"));
    Path conf = dir.resolve("softhsm2.conf");
    Files.writeString(
        conf,
        "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
    int rc =
        sh(
            "softhsm2-util --init-token --free --label briefcase-bench --so-pin 1234 --pin 5678"
                + " >/dev/null",
            conf);
    if (rc != 0) {
      throw new IllegalStateException("softhsm2-util --init-token exited " + rc);
    }
    return conf;
  }

  private static boolean onPath(String cmd) throws Exception {
    return sh("command -v " + cmd + " >/dev/null", null) == 0;
  }

  private static int sh(String script, Path softhsmConf) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).inheritIO();
    if (softhsmConf != null) {
      pb.environment().put("SOFTHSM2_CONF", softhsmConf.toString());
    }
    return pb.start().waitFor();
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--") && i + 1 < args.length) {
        out.put(args[i].substring(2), args[++i]);
      }
    }
    return out;
  }

  /** A software TPM on free loopback ports, as the signer-tpm2 tests start it. */
  private static final class Swtpm implements AutoCloseable {
    final int port;
    private final Process process;

    private Swtpm(int port, Process process) {
      this.port = port;
      this.process = process;
    }

    static Swtpm start(Path state) throws Exception {
      if (!onPath("swtpm")) {
        sh(
            "apt-get update -qq && apt-get install -y -qq swtpm swtpm-tools tpm2-tools >/dev/null",
            null);
      }
      Files.createDirectories(state);
      for (int attempt = 0; attempt < 5; attempt++) {
        int port = freePortPair();
        Process p =
            new ProcessBuilder(
                    "swtpm",
                    "socket",
                    "--tpm2",
                    "--tpmstate",
                    "dir=" + state,
                    "--server",
                    "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                    "--ctrl",
                    "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                    "--flags",
                    "not-need-init,startup-clear")
                .redirectErrorStream(true)
                .redirectOutput(state.resolveSibling("swtpm.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && p.isAlive()) {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return new Swtpm(port, p);
          } catch (IOException notYet) {
            Thread.sleep(50);
          }
        }
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      throw new IllegalStateException("swtpm did not start listening within 10 s");
    }

    private static int freePortPair() throws IOException {
      for (int i = 0; i < 50; i++) {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
          port = s.getLocalPort();
        }
        if (port < 65535) {
          try (ServerSocket next = new ServerSocket(port + 1)) {
            return port;
          } catch (IOException taken) {
            // another pair
          }
        }
      }
      throw new IOException("no free port pair");
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  /** The secret store the signers keep PINs, key blobs and software keys in. */
  private static final class MemoryStore implements SecretStore {
    private final Map<String, byte[]> values = new TreeMap<>();

    @Override
    public synchronized Optional<Sensitive<byte[]>> get(String id) {
      byte[] v = values.get(id);
      return v == null ? Optional.empty() : Optional.of(Sensitive.of(v.clone()));
    }

    @Override
    public synchronized void put(String id, Sensitive<byte[]> value) {
      values.put(id, value.reveal().clone());
    }

    @Override
    public synchronized boolean delete(String id) {
      return values.remove(id) != null;
    }

    @Override
    public synchronized List<String> ids() {
      return new ArrayList<>(values.keySet());
    }
  }
}
