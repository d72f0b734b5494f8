package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code briefcase revoke oauth|capability|vc <provider>}: SPEC §15 revocation. */
@Command(
    name = "revoke",
    description = "Revoke credentials at their issuer and forget them here.",
    subcommands = {
      RevokeCommand.RevokeOAuth.class,
      RevokeCommand.RevokeCapability.class,
      RevokeCommand.RevokeVc.class
    })
final class RevokeCommand {

  static String describe(JsonNode r) {
    boolean had = r.path("had_refresh_token").asBoolean(false);
    boolean attempted = r.path("remote_revocation_attempted").asBoolean(false);
    boolean succeeded = r.path("remote_revocation_succeeded").asBoolean(false);
    return (had ? "refresh token deleted" : "no refresh token was stored")
        + (attempted
            ? succeeded ? ", revoked at the AS" : ", the AS did not confirm the revocation"
            : "");
  }

  /** {@code POST /v1/providers/{id}/oauth/revoke}. */
  @Command(
      name = "oauth",
      description = "Revoke a provider's refresh token (RFC 7009) and delete its tokens and key.")
  static final class RevokeOAuth extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROVIDER")
    String provider;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.post(ProvidersCommand.path(provider) + "/oauth/revoke", "");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        out().println("provider " + provider + ": " + describe(client.json(res)));
      }
      return ExitCodes.OK;
    }
  }

  /**
   * {@code POST /v1/revocations/capability/{id}}: drops the provider's cached capability; the next
   * call mints a fresh one. A jti the provider should refuse is revoked at the provider ({@code
   * POST /api/revoke}).
   */
  @Command(
      name = "capability",
      description = "Drop a provider's cached capability token; the next call mints a fresh one.")
  static final class RevokeCapability extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROVIDER")
    String provider;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res =
          client.post(
              "/v1/revocations/capability/" + URLEncoder.encode(provider, StandardCharsets.UTF_8),
              "");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        boolean had = client.json(res).path("had_credential").asBoolean(false);
        out()
            .println(
                "provider "
                    + provider
                    + ": "
                    + (had ? "cached capability dropped" : "no capability was cached"));
      }
      return ExitCodes.OK;
    }
  }

  /**
   * {@code POST /v1/revocations/vc/{id}}: deletes the provider's stored VC and drops its cached
   * capabilities; the next call mints with OAuth or unauthenticated.
   */
  @Command(
      name = "vc",
      description = "Delete a provider's stored VC and drop its cached capabilities.")
  static final class RevokeVc extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROVIDER")
    String provider;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res =
          client.post(
              "/v1/revocations/vc/" + URLEncoder.encode(provider, StandardCharsets.UTF_8), "");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        boolean had = client.json(res).path("had_credential").asBoolean(false);
        out()
            .println(
                "provider " + provider + ": " + (had ? "stored VC deleted" : "no VC was stored"));
      }
      return ExitCodes.OK;
    }
  }
}
