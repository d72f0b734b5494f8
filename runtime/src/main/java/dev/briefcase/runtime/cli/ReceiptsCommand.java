package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code briefcase receipts list|verify|export}. */
@Command(
    name = "receipts",
    description = "The hash-chained record of every tool-call attempt.",
    subcommands = {
      ReceiptsCommand.ListReceipts.class,
      ReceiptsCommand.Verify.class,
      ReceiptsCommand.Export.class
    })
final class ReceiptsCommand {

  /** {@code GET /v1/receipts?limit=&offset=}. */
  @Command(name = "list", description = "List receipts, newest first.")
  static final class ListReceipts extends AdminCommand implements Callable<Integer> {
    @Option(names = "--limit", defaultValue = "50", description = "At most N (1..500, default 50).")
    int limit;

    @Option(names = "--offset", defaultValue = "0", description = "Skip N (default 0).")
    int offset;

    @Override
    public Integer call() {
      if (limit < 1 || limit > 500 || offset < 0) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--limit must be 1..500 and --offset at least 0");
      }
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/receipts?limit=" + limit + "&offset=" + offset);
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      int n = 0;
      for (JsonNode r : list(client.json(res), "receipts")) {
        JsonNode event = r.path("event");
        String kind = event.hasNonNull("kind") ? event.get("kind").asText() : text(event, "type");
        out()
            .printf(
                "%6s  %-25s  %-10s %-22s %s%n",
                text(r, "id"),
                text(r, "ts"),
                kind,
                text(event, "tool_id"),
                text(event, "decision"));
        n++;
      }
      if (n == 0) {
        out().println("no receipts");
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/receipts/verify}: exit 5 if the chain is broken (HTTP 409). */
  @Command(name = "verify", description = "Verify the whole receipt chain (exit 5 if broken).")
  static final class Verify extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post("/v1/receipts/verify", "{}");
      if (res.status() == 409) {
        if (json) {
          out().println(res.body());
        } else {
          JsonNode body = client.json(res);
          err()
              .println(
                  "receipt chain broken at id "
                      + text(body, "first_bad_id")
                      + ": "
                      + text(body, "reason")
                      + " (expected prev_hash_hex "
                      + text(body, "expected_prev_hash_hex")
                      + ")");
        }
        return ExitCodes.CHAIN_BROKEN;
      }
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      JsonNode body = client.json(res);
      if (!body.path("ok").asBoolean(false)) {
        err().println("receipt chain not verified: " + AdminClient.oneLine(res.body()));
        return ExitCodes.CHAIN_BROKEN;
      }
      StringBuilder line = new StringBuilder("receipt chain ok");
      for (String field : new String[] {"count", "head_id", "head_hash_hex"}) {
        if (body.hasNonNull(field)) {
          line.append(", ").append(field).append(' ').append(body.get(field).asText());
        }
      }
      out().println(line);
      return ExitCodes.OK;
    }
  }

  /** {@code GET /v1/receipts/export?after_id=}: NDJSON, streamed. */
  @Command(
      name = "export",
      description = "Export receipts as NDJSON in ascending order, with a trailer line.")
  static final class Export extends AdminCommand implements Callable<Integer> {
    @Option(names = "--after-id", defaultValue = "0", description = "Only receipts after this id.")
    long afterId;

    @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE (default: stdout).")
    Path outFile;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      HttpResponse<InputStream> res = client.getStream("/v1/receipts/export?after_id=" + afterId);
      try (InputStream body = res.body()) {
        if (res.statusCode() != 200) {
          String text = new String(body.readNBytes(64 * 1024), StandardCharsets.UTF_8);
          throw client.apiError(new AdminClient.Response(res.statusCode(), text));
        }
        if (outFile != null) {
          // write next to the target and move, so a failed export leaves no half file behind
          Path abs = outFile.toAbsolutePath();
          Path tmp = Files.createTempFile(abs.getParent(), ".receipts", ".part");
          try {
            Files.copy(body, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
          } finally {
            Files.deleteIfExists(tmp);
          }
          err().println("exported to " + abs);
        } else {
          PrintWriter out = out();
          out.flush();
          copyLines(body, out);
        }
      } catch (IOException e) {
        throw new CliException(
            ExitCodes.ERROR, "briefcase: export failed: " + AdminClient.oneLine(String.valueOf(e)));
      }
      return ExitCodes.OK;
    }

    private static void copyLines(InputStream in, PrintWriter out) throws IOException {
      // decode line-wise so a multi-byte character split across reads stays intact
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        out.println(line);
      }
      out.flush();
    }
  }
}
