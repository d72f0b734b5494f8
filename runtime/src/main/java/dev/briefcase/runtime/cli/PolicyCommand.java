package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code briefcase policy show|set}: read or replace the active Cedar policy. */
@Command(
    name = "policy",
    description = "The active Cedar policy.",
    subcommands = {PolicyCommand.Show.class, PolicyCommand.Set.class})
final class PolicyCommand {

  /** {@code GET /v1/policy}. */
  @Command(name = "show", description = "Print the active policy text and its hash.")
  static final class Show extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/policy");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      JsonNode p = client.json(res);
      out()
          .println(
              "// policy_hash_hex "
                  + text(p, "policy_hash_hex")
                  + ", updated "
                  + text(p, "updated_at"));
      out().println(text(p, "policy_text"));
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/policy}: validated against the schema, applied atomically, receipted. */
  @Command(
      name = "set",
      description =
          "Replace the active policy with the Cedar text in FILE ('-' reads standard input)."
              + " Invalid text is refused and the old policy stays.")
  static final class Set extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
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
      String body = root().mapper.createObjectNode().put("policy_text", text).toString();
      AdminClient.Response res = client.post("/v1/policy", body);
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        out().println("policy applied: " + text(client.json(res), "policy_hash_hex"));
      }
      return ExitCodes.OK;
    }
  }
}
