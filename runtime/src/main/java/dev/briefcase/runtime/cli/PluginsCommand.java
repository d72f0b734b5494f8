package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code briefcase plugins list|install|update|start|stop|uninstall|sign|trust}. */
@Command(
    name = "plugins",
    description = "Install, update, start, stop and remove plugin bundles while Briefcase runs.",
    subcommands = {
      PluginsCommand.ListPlugins.class,
      PluginsCommand.Install.class,
      PluginsCommand.Update.class,
      PluginsCommand.Start.class,
      PluginsCommand.Stop.class,
      PluginsCommand.Uninstall.class,
      PluginSigning.Sign.class,
      PluginSigning.Trust.class
    })
final class PluginsCommand {
  static final String JAR = "application/java-archive";

  /** Prints one plugin, or its JSON with --json. */
  static int print(AdminCommand cmd, AdminClient client, AdminClient.Response res) {
    client.requireOk(res);
    if (cmd.json) {
      cmd.out().println(res.body());
    } else {
      JsonNode p = client.json(res);
      cmd.out()
          .printf(
              "%s %s (bundle %s): %s%n",
              AdminCommand.text(p, "symbolic_name"),
              AdminCommand.text(p, "version"),
              AdminCommand.text(p, "bundle_id"),
              AdminCommand.text(p, "state"));
    }
    return ExitCodes.OK;
  }

  /** {@code GET /v1/plugins}. */
  @Command(name = "list", description = "Installed bundles: plugin family, ids, version, state.")
  static final class ListPlugins extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/plugins");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      out().printf("%-6s %-44s %-22s %-10s %s%n", "ID", "BUNDLE", "VERSION", "STATE", "PLUGIN");
      for (JsonNode p : list(client.json(res), "plugins")) {
        String plugin =
            p.path("core").asBoolean() ? "(core)" : String.join(",", strings(p.path("plugin_ids")));
        out()
            .printf(
                "%-6s %-44s %-22s %-10s %s%n",
                text(p, "bundle_id"),
                text(p, "symbolic_name"),
                text(p, "version"),
                text(p, "state"),
                plugin);
      }
      return ExitCodes.OK;
    }

    private static java.util.List<String> strings(JsonNode array) {
      java.util.List<String> out = new java.util.ArrayList<>();
      array.forEach(v -> out.add(v.asText()));
      return out;
    }
  }

  /**
   * {@code POST /v1/plugins} with the jar as the body, or {@code {"url": URL}} with {@code --from}
   * ({@code --url} is the inherited admin API URL: reusing it would send the admin token there).
   */
  @Command(
      name = "install",
      description =
          "Install and start a plugin bundle from a jar file, or (--from) from a file: path or an"
              + " https: URL the daemon reads or fetches itself (egress rules: no redirects, no private"
              + " addresses; http: only to loopback outside ga).")
  static final class Install extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JAR", arity = "0..1")
    Path jar;

    @Option(
        names = "--from",
        paramLabel = "URL",
        description = "file:///abs/path.jar or https://host/path.jar, read by the daemon")
    String url;

    @Override
    public Integer call() {
      if ((jar == null) == (url == null)) {
        throw new CliException(ExitCodes.USAGE, "give either a JAR file or --from URL");
      }
      AdminClient client = root().client();
      if (url != null) {
        if (!json) {
          err().println("installing from " + url + " (fetching, resolving and starting)…");
        }
        com.fasterxml.jackson.databind.node.ObjectNode body =
            new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        body.put("url", url);
        return print(this, client, client.post("/v1/plugins", body.toString()));
      }
      requireFile(jar);
      if (!json) {
        err().println("installing " + jar.getFileName() + " (resolving and starting)…");
      }
      return print(this, client, client.postFile("/v1/plugins", jar, JAR));
    }
  }

  /** {@code POST /v1/plugins/{id}/update}. */
  @Command(
      name = "update",
      description = "Replace a plugin bundle with a new jar of the same name.")
  static final class Update extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE_ID")
    long id;

    @Parameters(index = "1", paramLabel = "JAR")
    Path jar;

    @Override
    public Integer call() {
      requireFile(jar);
      AdminClient client = root().client();
      if (!json) {
        err().println("updating bundle " + id + " from " + jar.getFileName() + "…");
      }
      return print(this, client, client.postFile("/v1/plugins/" + id + "/update", jar, JAR));
    }
  }

  /** {@code POST /v1/plugins/{id}/start}. */
  @Command(name = "start", description = "Start a plugin bundle.")
  static final class Start extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE_ID")
    long id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      return print(this, client, client.post("/v1/plugins/" + id + "/start", null));
    }
  }

  /** {@code POST /v1/plugins/{id}/stop}. */
  @Command(name = "stop", description = "Stop a plugin bundle; its tools disappear.")
  static final class Stop extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE_ID")
    long id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      return print(this, client, client.post("/v1/plugins/" + id + "/stop", null));
    }
  }

  /** {@code POST /v1/plugins/{id}/uninstall}. */
  @Command(name = "uninstall", description = "Remove a plugin bundle.")
  static final class Uninstall extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE_ID")
    long id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post("/v1/plugins/" + id + "/uninstall", null);
      client.requireOk(res);
      out().println(json ? res.body() : "bundle " + id + " uninstalled");
      return ExitCodes.OK;
    }
  }

  static void requireFile(Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new CliException(ExitCodes.ERROR, "no such file: " + jar);
    }
  }
}
