package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code briefcase provider check <base-url>}: the provider contract kit (SPEC §21). A client of
 * the provider's public contract only; it needs no running daemon.
 */
@Command(
    name = "provider",
    description = "Tools for credential providers (no daemon needed).",
    subcommands = {ProviderCommand.Check.class})
final class ProviderCommand {

  /** Runs {@link ContractKit} and prints its report. */
  @Command(
      name = "check",
      description = {
        "Run the provider contract kit against BASE_URL and print the JSON report"
            + " {base_url, ok, checks[{name, ok, detail}]}.",
        "Checks: profile_marker_header, token_response_profile_field, capability_pop_binding,"
            + " quote_requires_dpop_when_pop_bound, quote_accepts_dpop,"
            + " replay_is_deterministic_and_signaled, oauth_code_pkce_mints_capability,"
            + " revocation_signaled.",
        "Without --admin-secret-file the revocation check is reported as"
            + " ok:false \"skipped: no admin secret\", so the report is not ok.",
        "DPoP keys are made in memory for this run; no token, proof or secret is printed."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:every check passed",
        "1:error (the admin secret file cannot be read)",
        "2:usage (a bad base URL: https, or http on loopback only; a bad --timeout)",
        "6:a check failed (see the report)"
      })
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BASE_URL", description = "The provider's base URL.")
    String baseUrl;

    @Option(
        names = "--admin-secret-file",
        paramLabel = "FILE",
        description =
            "A file holding the provider's admin secret (x-aag-admin-secret) for the revocation"
                + " check.")
    Path adminSecretFile;

    @Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        defaultValue = "15",
        description = "Timeout of each HTTP exchange, 1..300 seconds (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() {
      String base;
      try {
        base = ContractKit.baseUrl(baseUrl);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.USAGE, "briefcase: invalid_base_url: " + e.getMessage());
      }
      if (timeoutSeconds < 1 || timeoutSeconds > 300) {
        throw new CliException(
            ExitCodes.USAGE, "briefcase: invalid_timeout: --timeout must be 1..300 seconds");
      }
      String secret = null;
      if (adminSecretFile != null) {
        try {
          secret = Files.readString(adminSecretFile, StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
          throw new CliException(
              ExitCodes.ERROR,
              "briefcase: admin_secret_unreadable: cannot read " + adminSecretFile);
        }
        if (secret.isEmpty()
            || secret.length() > 4096
            || !secret.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
          throw new CliException(
              ExitCodes.USAGE,
              "briefcase: invalid_admin_secret: the file must hold one line of printable ASCII");
        }
      }
      ObjectNode report = new ContractKit(base, secret, Duration.ofSeconds(timeoutSeconds)).run();
      try {
        spec.commandLine()
            .getOut()
            .println(
                new com.fasterxml.jackson.databind.ObjectMapper()
                    .writerWithDefaultPrettyPrinter()
                    .writeValueAsString(report));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      return report.path("ok").asBoolean(false) ? ExitCodes.OK : ExitCodes.CONTRACT_FAILED;
    }
  }
}
