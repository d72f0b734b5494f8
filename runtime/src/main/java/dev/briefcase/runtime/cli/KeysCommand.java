package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code briefcase keys list|create|rotate|delete|check}: role keys and their custody. */
@Command(
    name = "keys",
    description = "Role keys (identity, pop, dpop:<server>) held by signer backends.",
    subcommands = {
      KeysCommand.ListKeys.class,
      KeysCommand.Create.class,
      KeysCommand.Rotate.class,
      KeysCommand.Delete.class,
      KeysCommand.Check.class,
      KeysCommand.ExportPublic.class
    })
final class KeysCommand {

  static String path(String role) {
    return "/v1/keys/" + URLEncoder.encode(role, StandardCharsets.UTF_8);
  }

  /** Create/rotate options: algorithm and backend. */
  abstract static class Change extends AdminCommand {
    @Parameters(index = "0", paramLabel = "ROLE", description = "identity, pop or dpop:<server>")
    String role;

    @Option(names = "--algorithm", description = "ed25519 or p256")
    String algorithm;

    @Option(names = "--backend", description = "a signer id, e.g. pkcs11 or tpm2")
    String backend;

    String body() {
      ObjectNode o = root().mapper.createObjectNode();
      if (algorithm != null) {
        o.put("algorithm", algorithm);
      }
      if (backend != null) {
        o.put("backend", backend);
      }
      return o.toString();
    }

    int print(AdminClient client, AdminClient.Response res) {
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        JsonNode k = client.json(res);
        out()
            .printf(
                "%s: %s key %s on %s, thumbprint %s%n",
                text(k, "role"),
                text(k, "algorithm"),
                text(k.path("handle"), "id"),
                text(k, "backend"),
                text(k, "thumbprint"));
      }
      return ExitCodes.OK;
    }
  }

  /** {@code GET /v1/keys}. */
  @Command(name = "list", description = "Roles, backends, algorithms and JWK thumbprints.")
  static final class ListKeys extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/keys");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      out()
          .printf("%-20s %-10s %-8s %-44s %s%n", "ROLE", "BACKEND", "ALG", "THUMBPRINT", "CREATED");
      for (JsonNode k : list(client.json(res), "keys")) {
        out()
            .printf(
                "%-20s %-10s %-8s %-44s %s%n",
                text(k, "role"),
                text(k, "backend"),
                text(k, "algorithm"),
                text(k, "thumbprint"),
                text(k, "created_at"));
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/keys/{role}}. */
  @Command(name = "create", description = "Create the key of a role that has none.")
  static final class Create extends Change implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      return print(client, client.post(path(role), body()));
    }
  }

  /** {@code POST /v1/keys/{role}/rotate}. */
  @Command(name = "rotate", description = "Replace a role's key; the old key is destroyed.")
  static final class Rotate extends Change implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      return print(client, client.post(path(role) + "/rotate", body()));
    }
  }

  /** {@code POST /v1/keys/{role}/delete}. */
  @Command(name = "delete", description = "Unbind a role and destroy its key.")
  static final class Delete extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ROLE")
    String role;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post(path(role) + "/delete", null);
      client.requireOk(res);
      out().println(json ? res.body() : role + ": key deleted");
      return ExitCodes.OK;
    }
  }

  /** {@code GET /v1/keys/{role}/public}: the public JWK, never private members. */
  @Command(
      name = "export-public",
      description =
          "Print a role's public JWK, e.g. the identity key for receipts verify --offline --key.")
  static final class ExportPublic extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ROLE", description = "identity, pop or dpop:<server>")
    String role;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get(path(role) + "/public");
      client.requireOk(res);
      // one line of JSON whatever --json says: the output is the key file
      out().println(client.json(res));
      return ExitCodes.OK;
    }
  }

  /** {@code GET /v1/diagnostics/security}: exit 1 when {@code key_custody} fails. */
  @Command(
      name = "check",
      description = "The key_custody check: the backend of every role; exit 1 when it fails.")
  static final class Check extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/diagnostics/security");
      client.requireOk(res);
      JsonNode custody = client.json(res).path("key_custody");
      boolean ok = custody.path("ok").asBoolean(false);
      if (json) {
        out().println(custody);
      } else {
        out()
            .printf(
                "key_custody: %s (%s); backend setting %s%n",
                ok ? "pass" : "FAIL", text(custody, "detail"), text(custody, "configured_backend"));
        for (JsonNode r : custody.path("roles")) {
          out()
              .printf(
                  "  %-20s %-10s %-8s %s%n",
                  text(r, "role"),
                  text(r, "backend"),
                  text(r, "algorithm"),
                  r.path("hardware_backed").asBoolean() ? "hardware" : "software");
        }
        StringBuilder b = new StringBuilder();
        for (JsonNode s : custody.path("backends")) {
          b.append(b.length() == 0 ? "" : ", ")
              .append(text(s, "id"))
              .append(s.path("hardware_backed").asBoolean() ? " (hardware)" : " (software)");
        }
        out().println("  backends: " + (b.length() == 0 ? "none" : b));
      }
      return ok ? ExitCodes.OK : ExitCodes.ERROR;
    }
  }

  private KeysCommand() {}
}
