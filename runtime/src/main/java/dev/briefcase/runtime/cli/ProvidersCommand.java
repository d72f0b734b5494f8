package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code briefcase providers list|add|remove|status|vc fetch}: the provider registry (SPEC §8.1)
 * and which credentials exist for each provider, never their values.
 */
@Command(
    name = "providers",
    description = "Credential providers: which exist, whether a refresh token is stored.",
    subcommands = {
      ProvidersCommand.ListProviders.class,
      ProvidersCommand.AddProvider.class,
      ProvidersCommand.RemoveProvider.class,
      ProvidersCommand.ProviderStatus.class,
      ProvidersCommand.Vc.class
    })
final class ProvidersCommand {

  static String path(String id) {
    return "/v1/providers/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
  }

  static String refresh(JsonNode p) {
    return p.path("has_oauth_refresh").asBoolean(false) ? "stored" : "none";
  }

  /** {@code GET /v1/providers}. */
  @Command(name = "list", description = "Show every provider and its credentials (no values).")
  static final class ListProviders extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/providers");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      out().printf("%-20s %-36s %-14s %s%n", "ID", "BASE URL", "REFRESH TOKEN", "ACCESS EXPIRES");
      for (JsonNode p : list(client.json(res), "providers")) {
        out()
            .printf(
                "%-20s %-36s %-14s %s%n",
                text(p, "id"), text(p, "base_url"), refresh(p), text(p, "access_token_expires_at"));
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/providers}. */
  @Command(
      name = "add",
      description = "Register a provider (base URL: https, or http on loopback).")
  static final class AddProvider extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1", paramLabel = "BASE_URL")
    String baseUrl;

    @Option(
        names = "--resource-url",
        description = "The protected resource discovery starts from (under BASE_URL).")
    String resourceUrl;

    @Option(names = "--client-id", description = "A registered OAuth client id (else dynamic).")
    String clientId;

    @Option(names = "--scope", description = "The scope to ask for at login.")
    String scope;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      ObjectNode body = root().mapper.createObjectNode().put("id", id).put("base_url", baseUrl);
      if (resourceUrl != null) {
        body.put("resource_url", resourceUrl);
      }
      if (clientId != null) {
        body.put("client_id", clientId);
      }
      if (scope != null) {
        body.put("scope", scope);
      }
      AdminClient.Response res = client.post("/v1/providers", body.toString());
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        JsonNode p = client.json(res);
        out().println("provider " + text(p, "id") + " added: " + text(p, "resource_url"));
      }
      return ExitCodes.OK;
    }
  }

  /** {@code DELETE /v1/providers/{id}}. */
  @Command(
      name = "remove",
      description = "Revoke a provider's credentials and remove it from the registry.")
  static final class RemoveProvider extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.delete(path(id));
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        out().println("provider " + id + " removed; " + RevokeCommand.describe(client.json(res)));
      }
      return ExitCodes.OK;
    }
  }

  /** {@code GET /v1/providers/{id}}. */
  @Command(name = "status", description = "Show which credentials exist for a provider.")
  static final class ProviderStatus extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get(path(id));
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      JsonNode p = client.json(res);
      out().println("provider:       " + text(p, "id"));
      out().println("base url:       " + text(p, "base_url"));
      out().println("resource url:   " + text(p, "resource_url"));
      out().println("client id:      " + text(p, "client_id"));
      out().println("scope:          " + text(p, "scope"));
      out().println("refresh token:  " + refresh(p));
      out().println("access expires: " + text(p, "access_token_expires_at"));
      return ExitCodes.OK;
    }
  }

  /** {@code briefcase providers vc fetch <id>}: SPEC §8.4 VC entitlements. */
  @Command(
      name = "vc",
      description = "Verifiable-credential entitlements of a provider.",
      subcommands = {ProvidersCommand.FetchVc.class})
  static final class Vc {}

  /** {@code POST /v1/providers/{id}/vc/fetch}. */
  @Command(
      name = "fetch",
      description =
          "Ask the provider to issue a VC for this Briefcase (needs an OAuth login) and keep it.")
  static final class FetchVc extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post(path(id) + "/vc/fetch", "");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      JsonNode v = client.json(res);
      out().println("provider:   " + text(v, "provider_id"));
      out().println("issuer:     " + text(v, "issuer"));
      out().println("scope:      " + text(v, "scope"));
      out().println("expires at: " + text(v, "expires_at_rfc3339"));
      return ExitCodes.OK;
    }
  }
}
