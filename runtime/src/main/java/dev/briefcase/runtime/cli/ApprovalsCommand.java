package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code briefcase approvals list|approve|deny|watch}. */
@Command(
    name = "approvals",
    description = "Review pending approvals and grant or reject them.",
    subcommands = {
      ApprovalsCommand.ListApprovals.class,
      ApprovalsCommand.Approve.class,
      ApprovalsCommand.Deny.class,
      ApprovalsCommand.Watch.class
    })
final class ApprovalsCommand {

  static String path(String id) {
    return "/v1/approvals/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * The warning printed next to an approval's arguments when the preview is not all of them: cut in
   * the middle ({@code args_truncated}) or with secrets replaced ({@code args_redacted}); empty
   * otherwise.
   */
  static String argsWarning(JsonNode summary) {
    List<String> parts = new ArrayList<>();
    if (summary.path("args_truncated").asBoolean()) {
      parts.add("arguments too long: only the start and the end are shown (args_truncated)");
    }
    if (summary.path("args_redacted").asBoolean()) {
      parts.add("parts that look like secrets are shown as [REDACTED] (args_redacted)");
    }
    return parts.isEmpty()
        ? ""
        : "WARNING: " + String.join("; ", parts) + " — args_hash binds the full arguments";
  }

  static String describe(JsonNode a) {
    String line =
        String.format(
            "%-36s %-22s %-13s %s  (expires %s)",
            AdminCommand.text(a, "id"),
            AdminCommand.text(a, "tool_id"),
            AdminCommand.text(a, "kind"),
            AdminCommand.text(a, "reason"),
            AdminCommand.text(a, "expires_at"));
    JsonNode s = a.path("summary");
    if (!s.has("args_preview") && !s.has("args_hash")) {
      return line;
    }
    // what the human approves: the canonical arguments (secrets redacted) and their hash
    return line
        + "\n    args      "
        + s.path("args_preview").asText("-")
        + (argsWarning(s).isEmpty() ? "" : "\n    warning   " + argsWarning(s))
        + "\n    args_hash "
        + s.path("args_hash").asText("-");
  }

  /** {@code GET /v1/approvals}. */
  @Command(name = "list", description = "List pending approvals, newest first.")
  static final class ListApprovals extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/approvals");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      int n = 0;
      for (JsonNode a : list(client.json(res), "approvals")) {
        out().println(describe(a));
        n++;
      }
      if (n == 0) {
        out().println("no pending approvals");
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/approvals/{id}/approve}. */
  @Command(name = "approve", description = "Approve a pending call.")
  static final class Approve extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post(path(id) + "/approve", "{}");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      JsonNode body = client.json(res);
      String token = text(body, "approval_token");
      out().println("approved " + text(body, "approval_id"));
      // the token is shown to the approver only, here; it works only for the caller that asked
      // (an agent over MCP needs none: its plain retry matches the approval)
      if (!"-".equals(token)) {
        out().println("  approval token: " + token);
        out().println("  a token-carrying caller retries with: --approval-token " + token);
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/approvals/{id}/deny}. */
  @Command(name = "deny", description = "Reject a pending call.")
  static final class Deny extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post(path(id) + "/deny", "{}");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        out().println("denied " + id);
      }
      return ExitCodes.OK;
    }
  }

  /** {@code GET /v1/approvals/stream} (server-sent events) until Ctrl-C. */
  @Command(name = "watch", description = "Print approval events as they happen (Ctrl-C ends).")
  static final class Watch extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      HttpResponse<Stream<String>> res =
          client.getLines("/v1/approvals/stream", "text/event-stream");
      if (res.statusCode() != 200) {
        String body;
        try (Stream<String> lines = res.body()) {
          body = String.join("\n", (Iterable<String>) lines::iterator);
        }
        throw client.apiError(new AdminClient.Response(res.statusCode(), body));
      }
      if (!json) {
        err().println("watching approvals at " + client.base() + " (Ctrl-C ends)");
      }
      String event = "message";
      StringBuilder data = new StringBuilder();
      try (Stream<String> lines = res.body()) {
        for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
          String line = it.next();
          if (line.isEmpty()) {
            if (data.length() > 0) {
              emit(event, data.toString());
            }
            event = "message";
            data.setLength(0);
          } else if (line.startsWith(":")) {
            continue; // keep-alive comment
          } else if (line.startsWith("event:")) {
            event = line.substring(6).strip();
          } else if (line.startsWith("data:")) {
            if (data.length() > 0) {
              data.append('\n');
            }
            data.append(line.substring(5).stripLeading());
          }
        }
      } catch (UncheckedIOException e) {
        // the connection dropped
      }
      err().println("briefcase: the approval stream ended");
      return ExitCodes.NOT_RUNNING;
    }

    private void emit(String event, String data) {
      if (json) {
        out().println(data);
      } else {
        JsonNode a = null;
        try {
          a = root().mapper.readTree(data);
        } catch (IOException e) {
          // not JSON: print it as it came
        }
        out().println(event + "  " + (a != null && a.isObject() ? describe(a) : data));
      }
      out().flush();
    }
  }
}
