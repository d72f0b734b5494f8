package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code briefcase secrets list|set|delete}: the secret store through the admin API. A value only
 * ever goes in — from standard input, never an argument (arguments show in process listings and
 * shell history) — and nothing prints one.
 */
@Command(
    name = "secrets",
    description =
        "Secrets in the daemon's store (API keys, basic credentials): ids only, never values.",
    subcommands = {
      SecretsCommand.ListSecrets.class,
      SecretsCommand.SetSecret.class,
      SecretsCommand.DeleteSecret.class
    })
final class SecretsCommand {
  /** The largest value read from standard input; the store refuses more anyway. */
  static final int MAX_VALUE_BYTES = 64 * 1024;

  private static String path(String id) {
    return "/v1/secrets/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
  }

  /** {@code GET /v1/secrets}. */
  @Command(name = "list", description = "List the ids of the stored secrets.")
  static final class ListSecrets extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/secrets");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      for (JsonNode id : list(client.json(res), "ids")) {
        out().println(id.asText());
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/secrets/{id}} with the value read from standard input. */
  @Command(
      name = "set",
      description =
          "Store a secret read from standard input (one trailing newline is dropped),"
              + " e.g. printf %%s \"$KEY\" | briefcase secrets set svc.key")
  static final class SetSecret extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      byte[] value = readValue(System.in);
      try {
        AdminClient client = root().client();
        String body =
            root()
                .mapper
                .createObjectNode()
                .put("value_b64", Base64.getEncoder().encodeToString(value))
                .toString();
        AdminClient.Response res = client.post(path(id), body);
        client.requireOk(res);
        out().println(json ? res.body() : "secret " + id + " stored (" + value.length + " bytes)");
        return ExitCodes.OK;
      } finally {
        Arrays.fill(value, (byte) 0);
      }
    }
  }

  /** {@code POST /v1/secrets/{id}/delete}. */
  @Command(name = "delete", description = "Delete a stored secret.")
  static final class DeleteSecret extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post(path(id) + "/delete", "");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        boolean existed = client.json(res).path("deleted").asBoolean();
        out().println(existed ? "secret " + id + " deleted" : "no secret " + id + " was stored");
      }
      return ExitCodes.OK;
    }
  }

  /**
   * The value from standard input, at most {@link #MAX_VALUE_BYTES}, without one trailing newline
   * ({@code echo} adds one; a key never ends in one).
   */
  static byte[] readValue(InputStream in) {
    byte[] value;
    try {
      value = in.readNBytes(MAX_VALUE_BYTES + 1);
    } catch (IOException e) {
      throw new CliException(ExitCodes.ERROR, "cannot read the secret from standard input");
    }
    if (value.length > MAX_VALUE_BYTES) {
      Arrays.fill(value, (byte) 0);
      throw new CliException(
          ExitCodes.USAGE, "the secret is longer than " + MAX_VALUE_BYTES + " bytes");
    }
    int end = value.length;
    if (end > 0 && value[end - 1] == '\n') {
      end--;
      if (end > 0 && value[end - 1] == '\r') {
        end--;
      }
    }
    if (end == 0) {
      throw new CliException(ExitCodes.USAGE, "no secret on standard input");
    }
    byte[] trimmed = Arrays.copyOf(value, end);
    Arrays.fill(value, (byte) 0);
    return trimmed;
  }
}
