package dev.briefcase.secrets.keyring.internal;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, private Secret Service for the tests: a session {@code dbus-daemon} of its own and a
 * {@code gnome-keyring-daemon} (secrets component) unlocked with a throw-away password, under a
 * temporary HOME. Installs Debian {@code dbus gnome-keyring libsecret-tools} when missing. Nothing
 * relies on D-Bus auto-start (a started-on-demand keyring is locked and would prompt).
 */
final class PrivateKeyring implements AutoCloseable {
  static final String[] PACKAGES = {"dbus", "gnome-keyring", "libsecret-tools"};

  final Path dir;
  final String busAddress;
  private final Process bus;
  private final Process keyring;

  private PrivateKeyring(Path dir, String busAddress, Process bus, Process keyring) {
    this.dir = dir;
    this.busAddress = busAddress;
    this.bus = bus;
    this.keyring = keyring;
  }

  static void ensureInstalled() throws Exception {
    if (onPath("dbus-daemon") && onPath("gnome-keyring-daemon") && onPath("secret-tool")) {
      return;
    }
    List<String> cmd =
        List.of(
            "sh",
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq"
                + " --no-install-recommends "
                + String.join(" ", PACKAGES)
                + " >/dev/null");
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    int rc = p.waitFor();
    if (rc != 0 || !onPath("gnome-keyring-daemon") || !onPath("secret-tool")) {
      throw new IllegalStateException(
          "dbus, gnome-keyring and libsecret-tools are required and could not be installed"
              + " (apt-get exited "
              + rc
              + ")");
    }
  }

  /** Starts the bus and the keyring daemon and waits (with a deadline) until it answers. */
  static PrivateKeyring start(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("home"));
    Path run = Files.createDirectories(dir.resolve("run"));
    run.toFile().setReadable(false, false);
    run.toFile().setReadable(true, true);
    Process bus =
        new ProcessBuilder(
                "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
            .redirectError(dir.resolve("dbus.err").toFile())
            .start();
    String address;
    try {
      BufferedReader r =
          new BufferedReader(new InputStreamReader(bus.getInputStream(), StandardCharsets.UTF_8));
      address = r.readLine();
      if (address == null || !address.startsWith("unix:")) {
        throw new IllegalStateException("dbus-daemon printed no address: " + address);
      }
    } catch (RuntimeException | IOException e) {
      bus.destroyForcibly();
      throw e;
    }
    ProcessBuilder kb =
        new ProcessBuilder(
                "gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
            .redirectOutput(dir.resolve("keyring.out").toFile())
            .redirectError(dir.resolve("keyring.err").toFile());
    kb.environment().putAll(env(dir, address));
    Process keyring = kb.start();
    try (OutputStream in = keyring.getOutputStream()) {
      in.write("throw-away-test-password".getBytes(StandardCharsets.UTF_8));
    }
    PrivateKeyring k = new PrivateKeyring(dir, address, bus, keyring);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      if (!keyring.isAlive()) {
        k.close();
        throw new IllegalStateException(
            "gnome-keyring-daemon exited " + keyring.exitValue() + ": " + k.read("keyring.err"));
      }
      try {
        SecretServiceKeyring.open(address).close();
        return k;
      } catch (RuntimeException e) {
        last = e;
        Thread.sleep(50);
      }
    }
    k.close();
    throw new IllegalStateException("the private Secret Service did not answer in 30 s", last);
  }

  static Map<String, String> env(Path dir, String address) {
    return Map.of(
        "DBUS_SESSION_BUS_ADDRESS", address,
        "HOME", dir.resolve("home").toString(),
        "XDG_DATA_HOME", dir.resolve("home/.local/share").toString(),
        "XDG_RUNTIME_DIR", dir.resolve("run").toString());
  }

  /** Runs {@code secret-tool} on this bus; returns exit code and stdout. */
  Result secretTool(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("secret-tool");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putAll(env(dir, busAddress));
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("secret-tool did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  record Result(int exit, String out) {}

  String read(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() throws Exception {
    for (Process p : new Process[] {keyring, bus}) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String d : path.split(File.pathSeparator)) {
      if (new File(d, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
