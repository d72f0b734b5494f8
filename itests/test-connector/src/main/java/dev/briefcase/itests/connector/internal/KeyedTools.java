package dev.briefcase.itests.connector.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.osgi.service.component.annotations.Component;

/**
 * {@code extra_keyed} (read) for the credential strategy swap tests: it declares an {@code api_key}
 * need ({@value #SECRET_ID}, header {@code X-Api-Key}), asks the call's credential for the headers
 * of one request to {@value #TARGET} and answers with their names and a SHA-256 prefix of the value
 * — never the value — so a test can tell that the right secret was used without it ever leaving the
 * boundary. No request is sent.
 */
@Component(property = Connector.ID + "=extra-keyed")
public final class KeyedTools implements Connector {
  /** The secret the tool's need names. */
  public static final String SECRET_ID = "itest.key";

  /** Where the headers are for; a manifest must allow this host and path. */
  public static final String TARGET = "https://api.example.com/v1/keyed";

  private final List<ToolSpec> tools =
      List.of(
          new ToolSpec(
              "extra_keyed",
              "Extra keyed",
              "Gets the headers of one API-key request and reports their names.",
              Map.of("type", "object", "properties", Map.of(), "additionalProperties", false),
              null,
              ToolSpec.READ,
              0,
              OutputFirewall.allowAll(),
              new CredentialNeed(
                  CredentialNeed.API_KEY, SECRET_ID, Map.of("header", "X-Api-Key"))));

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
    RequestCredential headers = credential.authorize("GET", URI.create(TARGET));
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> digests = new TreeMap<>();
    for (Map.Entry<String, Sensitive<String>> h : headers.headers().entrySet()) {
      digests.put(h.getKey(), sha256Prefix(h.getValue().reveal()));
    }
    out.put("headers", digests);
    return ToolResult.of(out, "local:extra-keyed");
  }

  /** The first 16 hex digits of SHA-256 of {@code value}: enough to compare, nothing to reuse. */
  public static String sha256Prefix(String value) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
