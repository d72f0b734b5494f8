package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.receipts.internal.Checkpoint;
import dev.briefcase.receipts.internal.OfflineVerifier;
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
import java.util.ArrayList;
import java.util.List;
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

  /**
   * {@code POST /v1/receipts/verify}: exit 5 if the chain is broken (HTTP 409). With {@code
   * --offline FILE --key JWK} no daemon is involved: the export is checked link by link and every
   * checkpoint signature against the given public keys.
   */
  @Command(
      name = "verify",
      description = {
        "Verify the whole receipt chain (exit 5 if broken).",
        "With --offline FILE --key JWK: verify an export without the daemon, including every"
            + " signed checkpoint."
      })
  static final class Verify extends AdminCommand implements Callable<Integer> {
    @Option(
        names = "--offline",
        paramLabel = "FILE",
        description = "An export (briefcase receipts export) to verify with no daemon.")
    Path offline;

    @Option(
        names = "--key",
        paramLabel = "JWK",
        description =
            "A public JWK or JWK set file (briefcase keys export-public identity); repeat for keys"
                + " the identity role had before a rotation.")
    List<Path> keyFiles = new ArrayList<>();

    @Option(
        names = "--partial",
        description = "The export starts after id 1 (export --after-id): trust its first link.")
    boolean partial;

    @Option(
        names = "--max-unsigned",
        paramLabel = "N",
        description =
            "Accept at most N receipts after the last verified checkpoint (default: none; an"
                + " export through the daemon has its head checkpointed).")
    Long maxUnsigned;

    @Option(
        names = {"--allow-unsigned-tail", "--allow-unsigned"},
        description =
            "Accept any number of receipts after the last checkpoint, or no checkpoint at all,"
                + " and report how many are uncovered (gaps between checkpoints still fail).")
    boolean allowUnsigned;

    @Override
    public Integer call() {
      if (offline != null) {
        return offline();
      }
      if (!keyFiles.isEmpty() || partial || maxUnsigned != null || allowUnsigned) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "--key, --partial, --max-unsigned and --allow-unsigned-tail need --offline FILE");
      }
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

    private int offline() {
      if (keyFiles.isEmpty()) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--offline needs at least one --key JWK file");
      }
      if (maxUnsigned != null && maxUnsigned < 0) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--max-unsigned must be at least 0");
      }
      if (maxUnsigned != null && allowUnsigned) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--max-unsigned and --allow-unsigned-tail exclude each other");
      }
      long maxTail =
          allowUnsigned
              ? OfflineVerifier.TAIL_ANY
              : maxUnsigned != null ? maxUnsigned : OfflineVerifier.TAIL_NONE;
      List<Checkpoint.VerificationKey> keys = new ArrayList<>();
      for (Path file : keyFiles) {
        keys.addAll(readKeys(file));
      }
      OfflineVerifier.Result r;
      try (BufferedReader in = Files.newBufferedReader(offline, StandardCharsets.UTF_8)) {
        r = OfflineVerifier.verify(in, keys, partial, maxTail);
      } catch (IOException | java.io.UncheckedIOException e) {
        throw new CliException(
            ExitCodes.ERROR,
            "briefcase: cannot read " + offline + ": " + AdminClient.oneLine(String.valueOf(e)));
      }
      if (json) {
        com.fasterxml.jackson.databind.node.ObjectNode o = root().mapper.createObjectNode();
        o.put("ok", r.ok());
        o.put("count", r.count());
        o.put("head_hash_hex", r.headHashHex());
        o.put("checkpoints_verified", r.checkpointsVerified());
        o.put("last_checkpoint_seq", r.lastCheckpointSeq());
        o.put("unsigned_tail", r.unsignedTail());
        if (r.tailLimit() != OfflineVerifier.TAIL_ANY) {
          o.put("unsigned_tail_limit", r.tailLimit());
        }
        if (!r.ok()) {
          o.put("first_bad_id", r.firstBadId());
          o.put("reason", r.reason());
          o.put("detail", r.detail());
        }
        out().println(o);
        return r.ok() ? ExitCodes.OK : ExitCodes.CHAIN_BROKEN;
      }
      if (!r.ok()) {
        boolean coverage =
            java.util.Set.of(
                    "checkpoint_gap",
                    "checkpoint_missing",
                    OfflineVerifier.UNSIGNED_TAIL,
                    "unsigned_tail_too_long")
                .contains(r.reason());
        err()
            .println(
                (coverage ? "receipt chain not covered at id " : "receipt chain broken at id ")
                    + r.firstBadId()
                    + ": "
                    + r.reason()
                    + " ("
                    + r.detail()
                    + "); "
                    + r.checkpointsVerified()
                    + " checkpoints verified before it");
        return ExitCodes.CHAIN_BROKEN;
      }
      String limit =
          r.tailLimit() == OfflineVerifier.TAIL_ANY
              ? "any number allowed"
              : "at most " + r.tailLimit() + " allowed";
      String summary =
          "receipt chain ok (offline): "
              + r.count()
              + " receipts, "
              + r.checkpointsVerified()
              + " checkpoints verified"
              + (r.checkpointsVerified() > 0 ? " (last over id " + r.lastCheckpointSeq() + ")" : "")
              + ", "
              + r.unsignedTail()
              + (r.checkpointsVerified() > 0
                  ? " receipts after the last checkpoint (unsigned tail, " + limit + ")"
                  : " receipts and no checkpoint yet: all of them are an unsigned tail, which"
                      + " nothing vouches for ("
                      + limit
                      + ")")
              + ", head_hash_hex "
              + r.headHashHex();
      out().println(summary);
      return ExitCodes.OK;
    }

    private List<Checkpoint.VerificationKey> readKeys(Path file) {
      try {
        JsonNode node = root().mapper.readTree(Files.readString(file, StandardCharsets.UTF_8));
        List<Checkpoint.VerificationKey> out = new ArrayList<>();
        if (node != null && node.has("keys") && node.get("keys").isArray()) {
          for (JsonNode k : node.get("keys")) {
            out.add(Checkpoint.verificationKey(k));
          }
        } else {
          out.add(Checkpoint.verificationKey(node));
        }
        return out;
      } catch (IOException e) {
        throw new CliException(
            ExitCodes.ERROR,
            "briefcase: cannot read key " + file + ": " + AdminClient.oneLine(String.valueOf(e)));
      } catch (IllegalArgumentException e) {
        throw new CliException(
            ExitCodes.USAGE,
            "briefcase: " + file + " is not a usable public JWK: " + e.getMessage());
      }
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
