package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code briefcase tools list|call|manifest}. */
@Command(
    name = "tools",
    description = "List and call tools through the kernel's full pipeline.",
    subcommands = {
      ToolsCommand.ListTools.class,
      ToolsCommand.CallTool.class,
      ManifestCommand.class
    })
final class ToolsCommand {

  /** {@code GET /v1/tools}. */
  @Command(name = "list", description = "List the tools the kernel offers.")
  static final class ListTools extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/tools");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      JsonNode body = client.json(res);
      int n = 0;
      for (JsonNode tool : list(body, "tools")) {
        JsonNode category = tool.get("category");
        String cat =
            category == null || category.isNull()
                ? "-"
                : category.isObject() && category.has("other")
                    ? category.get("other").asText()
                    : category.asText();
        out().printf("%-24s %-8s %s%n", text(tool, "id"), cat, text(tool, "description"));
        n++;
      }
      if (n == 0) {
        out().println("no tools");
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/tools/call}. */
  @Command(
      name = "call",
      description = "Call a tool. Exit 0 ok, 1 denied or error, 3 approval required.")
  static final class CallTool extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOOL_ID", description = "The tool id, e.g. echo.")
    String toolId;

    @Option(
        names = "--args",
        paramLabel = "JSON",
        defaultValue = "{}",
        description = "Arguments as a JSON object (default: {}).")
    String args;

    @Option(
        names = "--approval-token",
        paramLabel = "ID",
        description =
            "The approval token printed by 'briefcase approvals approve' for an earlier call with"
                + " the same arguments (not the approval id).")
    String approvalToken;

    @Override
    public Integer call() {
      JsonNode parsedArgs;
      try {
        parsedArgs = root().mapper.readTree(args);
      } catch (JsonProcessingException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--args is not valid JSON: " + e.getOriginalMessage());
      }
      if (parsedArgs == null || !parsedArgs.isObject()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--args must be a JSON object");
      }
      ObjectNode body = root().mapper.createObjectNode();
      ObjectNode call = body.putObject("call");
      call.put("tool_id", toolId);
      call.set("args", parsedArgs);
      call.putObject("context").put("request_id", UUID.randomUUID().toString());
      if (approvalToken != null) {
        call.put("approval_token", approvalToken);
      }

      AdminClient client = root().client();
      AdminClient.Response res = client.post("/v1/tools/call", body.toString());
      JsonNode answer = null;
      try {
        answer = root().mapper.readTree(res.body());
      } catch (IOException e) {
        // handled below as a non-JSON answer
      }
      String status =
          answer != null && answer.hasNonNull("status") ? answer.get("status").asText() : null;
      if (status == null) {
        client.requireOk(res);
        throw new CliException(ExitCodes.ERROR, "briefcase: unexpected answer from the kernel");
      }
      if (json) {
        out().println(res.body());
      }
      switch (status) {
        case "ok" -> {
          if (!json) {
            JsonNode result = answer.path("result");
            out().println(pretty(result.path("content")));
            JsonNode prov = result.path("provenance");
            if (prov.isObject()) {
              err()
                  .println(
                      "source: "
                          + text(prov, "source")
                          + "  receipt: "
                          + text(prov, "receipt_id")
                          + "  cost_usd: "
                          + text(prov, "cost_usd"));
            }
          }
          return ExitCodes.OK;
        }
        case "approval_required" -> {
          if (!json) {
            JsonNode approval = answer.path("approval");
            String id = text(approval, "id");
            out().println("approval required: " + id + " (" + text(approval, "reason") + ")");
            out().println("  approve: briefcase approvals approve " + id);
            out()
                .println(
                    "  then retry: briefcase tools call "
                        + toolId
                        + " --args '"
                        + args
                        + "' --approval-token <the token it prints>");
          }
          return ExitCodes.APPROVAL_REQUIRED;
        }
        case "denied" -> {
          if (!json) {
            err().println("denied: " + text(answer, "reason"));
          }
          return ExitCodes.ERROR;
        }
        default -> {
          if (!json) {
            err().println("error: " + AdminClient.oneLine(text(answer, "message")));
          }
          return ExitCodes.ERROR;
        }
      }
    }
  }
}
