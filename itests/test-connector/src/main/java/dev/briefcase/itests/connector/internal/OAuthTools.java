package dev.briefcase.itests.connector.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * {@code extra_oauth} (read) for the OAuth strategy swap tests: it declares an {@code oauth} need
 * (provider {@value #PROVIDER}), asks the call's credential for the headers of {@code GET
 * http://127.0.0.1:<port><path>}, sends the request itself with the JDK client and answers with the
 * status only — never a header value or the body. The target comes as a port and a path, not a URL:
 * a URL-like argument makes the kernel's risk heuristics ask for an approval on every call. A 401
 * is reported to the credential, which either allows one more try (new nonce, refreshed token) or
 * ends the call with its code, as a product connector does. A test bundle may send on its own; a
 * product connector goes through egress.
 */
@Component(property = Connector.ID + "=extra-oauth")
public final class OAuthTools implements Connector {
  /** The provider id the tool's need names. */
  public static final String PROVIDER = "itest-oauth";

  private static final int MAX_SENDS = 3;

  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(3))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  private final List<ToolSpec> tools =
      List.of(
          new ToolSpec(
              "extra_oauth",
              "Extra OAuth",
              "Sends GET to a loopback port and path with the itest-oauth provider's credential"
                  + " and reports the status.",
              Map.of(
                  "type",
                  "object",
                  "properties",
                  Map.of(
                      "port",
                      Map.of("type", "integer", "minimum", 1, "maximum", 65535),
                      "path",
                      Map.of("type", "string", "pattern", "^/[A-Za-z0-9/._-]{0,200}$")),
                  "required",
                  List.of("port", "path"),
                  "additionalProperties",
                  false),
              null,
              ToolSpec.READ,
              0,
              OutputFirewall.allowAll(),
              new CredentialNeed(CredentialNeed.OAUTH, PROVIDER)));

  @Override
  public List<ToolSpec> tools() {
    return tools;
  }

  @Override
  public ToolResult execute(ToolInvocation invocation) throws ToolException {
    CallCredential credential = invocation.credential();
    if (credential == null) {
      throw new ToolException(ToolException.TOOL_FAILED, "tool_failed: no credential for the call");
    }
    URI target;
    try {
      target =
          URI.create(
              "http://127.0.0.1:"
                  + ((Number) invocation.args().get("port")).intValue()
                  + invocation.args().get("path"));
    } catch (ClassCastException | IllegalArgumentException e) {
      throw new ToolException(ToolException.TOOL_FAILED, "tool_failed: no loopback target");
    }
    for (int send = 1; ; send++) {
      HttpResponse<Void> response = send(target, credential.authorize("GET", target));
      if (response.statusCode() != 401 || send >= MAX_SENDS) {
        return ToolResult.of(Map.of("status", response.statusCode()), "local:extra-oauth");
      }
      // throws the credential's code when no retry is left; returns when one more may succeed
      credential.rejected(
          "GET",
          target,
          new Rejection(
              401,
              response.headers().firstValue("WWW-Authenticate").orElse(null),
              response.headers().firstValue("DPoP-Nonce").orElse(null),
              response.headers().firstValue("x-briefcase-error").orElse(null)));
    }
  }

  private HttpResponse<Void> send(URI target, RequestCredential credential) throws ToolException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).GET();
    for (Map.Entry<String, Sensitive<String>> h : credential.headers().entrySet()) {
      request.header(h.getKey(), h.getValue().reveal());
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      throw new ToolException(ToolException.IO_ERROR, "io_error: the request failed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ToolException(ToolException.INTERRUPTED, "interrupted");
    }
  }
}
