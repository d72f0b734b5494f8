package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.runtime.launcher.InstanceLock;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code briefcase status}: is a kernel running, where, and is it ready. Exit 0 running and ready,
 * 1 running but not ready (or unreachable), 4 not running.
 */
@Command(name = "status", description = "Show whether the kernel runs and is ready.")
final class StatusCommand extends AdminCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    BriefcaseCommand root = root();
    Path dataDir = root.dataDir();
    boolean running = InstanceLock.isHeld(dataDir);
    OptionalLong pid = running ? InstanceLock.readPid(dataDir) : OptionalLong.empty();
    Optional<String> url = root.adminUrl();

    ObjectNode report = root.mapper.createObjectNode();
    report.put("running", running);
    if (pid.isPresent()) {
      report.put("pid", pid.getAsLong());
    } else {
      report.putNull("pid");
    }
    report.put("data_dir", dataDir.toString());
    report.put("deploy_dir", dataDir.resolve("deploy").toString());
    report.put("admin_url", url.orElse(null));
    JsonNode features = running ? activeFeatures(dataDir) : null;
    report.set("features", features);

    String health = null;
    boolean ready = false;
    JsonNode readyBody = null;
    if ((running || root.url != null) && url.isPresent()) {
      AdminClient client;
      try {
        client = new AdminClient(URI.create(url.get()), root.token(), root.mapper);
        AdminClient.Response h = client.get("/health");
        health = h.ok() ? "ok" : "http " + h.status();
        AdminClient.Response r = client.get("/ready");
        ready = r.status() == 200;
        readyBody = parse(r.body());
      } catch (CliException | IllegalArgumentException e) {
        health = "unreachable";
      }
    }
    report.put("health", health);
    report.put("ready", ready);
    report.set("ready_detail", readyBody);

    if (json) {
      out().println(report.toString());
    } else {
      out()
          .println(
              "running:    "
                  + (running
                      ? "yes" + (pid.isPresent() ? " (pid " + pid.getAsLong() + ")" : "")
                      : "no"));
      out().println("data dir:   " + dataDir);
      out().println("deploy dir: " + dataDir.resolve("deploy"));
      out().println("admin URL:  " + url.orElse("-"));
      if (features != null && features.isArray()) {
        java.util.List<String> names = new java.util.ArrayList<>();
        features.forEach(f -> names.add(f.path("name").asText()));
        out().println("features:   " + String.join(", ", names));
      }
      if (running) {
        out().println("health:     " + (health == null ? "-" : health));
        out().println("ready:      " + (ready ? "yes" : "no"));
      }
    }
    if (!running && root.url == null) {
      return ExitCodes.NOT_RUNNING;
    }
    return ready ? ExitCodes.OK : ExitCodes.ERROR;
  }

  /** {@code <data_dir>/features.json}, written by the running kernel at start; null if absent. */
  private JsonNode activeFeatures(Path dataDir) {
    try {
      JsonNode f =
          root()
              .mapper
              .readTree(
                  dataDir
                      .resolve(dev.briefcase.runtime.launcher.BriefcaseKernel.FEATURES_FILE)
                      .toFile());
      return f != null && f.isArray() ? f : null;
    } catch (IOException e) {
      return null;
    }
  }

  private JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? null : root().mapper.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }
}
