package dev.briefcase.runtime.cli;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code briefcase tools manifest get|set}: what a tool may reach (SPEC §3). */
@Command(
    name = "manifest",
    description = "Read or replace a tool's manifest (egress hosts and paths, filesystem, limits).",
    subcommands = {ManifestCommand.Get.class, ManifestCommand.Set.class})
final class ManifestCommand {

  static String path(String toolId) {
    return "/v1/tools/" + URLEncoder.encode(toolId, StandardCharsets.UTF_8) + "/manifest";
  }

  /** {@code GET /v1/tools/{id}/manifest}. */
  @Command(
      name = "get",
      description = "Print the manifest in force (deny-all when none is stored).")
  static final class Get extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOOL_ID")
    String toolId;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get(path(toolId));
      client.requireOk(res);
      out().println(json ? res.body() : pretty(client.json(res)));
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/tools/{id}/manifest}: validated, stored, receipted. */
  @Command(
      name = "set",
      description = "Store the manifest JSON in FILE ('-' reads standard input) for a tool.")
  static final class Set extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOOL_ID")
    String toolId;

    @Parameters(index = "1", paramLabel = "FILE")
    String file;

    @Override
    public Integer call() {
      String text;
      try {
        text =
            "-".equals(file)
                ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new CliException(ExitCodes.ERROR, "cannot read " + file + ": " + e.getMessage());
      }
      AdminClient client = root().client();
      AdminClient.Response res = client.post(path(toolId), text);
      client.requireOk(res);
      out().println(json ? res.body() : "manifest of " + toolId + " stored");
      return ExitCodes.OK;
    }
  }
}
