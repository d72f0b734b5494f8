package dev.briefcase.bench.sign;

import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.pkcs11.internal.Pkcs11Signer;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.signer.tpm2.internal.Tpm2Signer;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.MemorySecretStore;
import dev.briefcase.testing.SoftHsmToken;
import dev.briefcase.testing.Swtpm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signatures per second and latency percentiles of every signer backend in one run: software
 * (Ed25519, P-256), PKCS#11 on a fresh SoftHSM2 token (P-256) and TPM 2.0 on a fresh swtpm (P-256).
 * Sets SoftHSM and swtpm up with the signer tests' fixtures (testing/fixtures, which install the
 * Debian packages when missing). The PKCS#11 library reads {@code SOFTHSM2_CONF} from the process
 * environment, so the bench re-launches itself once with it set. Nothing is asserted; it prints a
 * table.
 *
 * <p>Options: {@code --seconds S} (5, per backend), {@code --warmup S} (1), {@code --threads N} (1;
 * the hardware signers serialize their calls anyway), {@code --only software,pkcs11,tpm2}.
 */
public final class SignBench {
  private static final byte[] MESSAGE =
      "{\"typ\":\"dpop+jwt\"}.{\"htm\":\"POST\",\"htu\":\"https://rs.example/x\"}"
          .getBytes(StandardCharsets.US_ASCII);
  private static final String TOKEN = "briefcase-bench";
  private static final String PIN = "5678";

  private SignBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = options(args);
    double seconds = Double.parseDouble(opt.getOrDefault("seconds", "5"));
    double warmup = Double.parseDouble(opt.getOrDefault("warmup", "1"));
    int threads = Integer.parseInt(opt.getOrDefault("threads", "1"));
    List<String> only = Arrays.asList(opt.getOrDefault("only", "software,pkcs11,tpm2").split(","));
    Path dir = Files.createTempDirectory("briefcase-signbench");

    if (only.contains("pkcs11") && System.getenv("SOFTHSM2_CONF") == null) {
      Path conf = SoftHsmToken.create(dir.resolve("softhsm/softhsm2.conf"), TOKEN, PIN).conf;
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
    MemorySecretStore store = new MemorySecretStore();
    List<Row> rows = new ArrayList<>();
    if (only.contains("software")) {
      SoftwareSigner software = new SoftwareSigner(store, BundleContexts.withoutProperties());
      rows.add(run("software", KeyAlgorithm.ED25519, software, threads, warmup, seconds));
      rows.add(run("software", KeyAlgorithm.P256, software, threads, warmup, seconds));
    }
    if (only.contains("pkcs11")) {
      store.put("bench.pin", Sensitive.of(PIN.getBytes(StandardCharsets.UTF_8)));
      Pkcs11Signer pkcs11 =
          new Pkcs11Signer(
              store,
              Configs.of(
                  Pkcs11Signer.Config.class,
                  Map.of(
                      "signer_id",
                      "pkcs11",
                      "module_path",
                      SoftHsmToken.MODULE,
                      "token_label",
                      TOKEN,
                      "pin_secret_id",
                      "bench.pin")));
      rows.add(run("pkcs11 (SoftHSM2)", KeyAlgorithm.P256, pkcs11, threads, warmup, seconds));
    }
    if (only.contains("tpm2")) {
      try (Swtpm tpm = Swtpm.start()) {
        Tpm2Signer tpm2 =
            new Tpm2Signer(
                store,
                Configs.of(
                    Tpm2Signer.Config.class, Map.of("signer_id", "tpm2", "device", tpm.device())));
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
}
