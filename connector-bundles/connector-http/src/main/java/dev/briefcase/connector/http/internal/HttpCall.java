package dev.briefcase.connector.http.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.ApprovalRequiredException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import dev.briefcase.payment.PaidRetry;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.ToolManifest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one call of an {@link HttpTool}: builds the request, asks the call's credential for its
 * headers, sends through egress under the invocation's manifest, and answers what the upstream
 * said. A 401 is reported to the credential, which either allows one more try (new headers, e.g. a
 * refreshed token or a DPoP nonce) or throws its code; a 403 {@code insufficient_scope} asks a
 * human to re-authorize first. Credential header values go on the request and nowhere else.
 */
final class HttpCall {
  /** Sends per call at most: the first, and a retry after each of two allowed refusals. */
  static final int MAX_SENDS = 3;

  /** The most of a 402 body handed to the payment step (PaymentChallenge: 64 KiB). */
  static final int MAX_CHALLENGE_BODY = 64 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(HttpCall.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCOPE_TOKEN = "[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,64}";

  private final EgressClient egress;
  private final boolean devLoopback;
  private final String source;

  HttpCall(EgressClient egress, boolean devLoopback, String connectorId) {
    this.egress = egress;
    this.devLoopback = devLoopback;
    this.source = "http:" + connectorId;
  }

  ToolResult run(HttpTool tool, ToolInvocation invocation) throws ToolException {
    return run(tool, invocation, null);
  }

  /**
   * One call; a 402 from the upstream goes to {@code payments} (when bound) and is retried once
   * with the payment headers, and the answer to that retry is reported back to it. Without a
   * payment service a 402 is an answer like any other.
   */
  ToolResult run(HttpTool tool, ToolInvocation invocation, PaymentService payments)
      throws ToolException {
    RequestPlan plan = RequestPlan.build(tool, invocation.args());
    ToolManifest manifest = invocation.manifest();
    EgressPolicy policy =
        EgressPolicy.of(lowerCase(manifest.allowedHosts()), manifest.allowedHttpPathPrefixes())
            .withDevLoopback(devLoopback)
            .withMaxResponseBytes(Math.min(tool.maxResponseBytes(), manifest.maxOutputBytes()))
            .withTruncation(true);
    CallCredential credential = credential(tool, invocation);
    String method = tool.method();
    PaidRetry paid = null;
    for (int send = 1; ; send++) {
      EgressResponse response = send(method, plan, credential, policy, paid);
      LOG.debug("http tool {} {} -> {}", tool.spec().id(), method, response.status());
      if (paid != null) {
        // the one paid retry: its answer says whether the payment held (a 402 again: rejected)
        payments.settled(paid, response.status(), response.headers());
        return result(response, manifest.maxOutputBytes());
      }
      if (response.status() == 402 && payments != null) {
        paid = pay(payments, invocation, plan, response);
        continue;
      }
      if (credential == null) {
        return result(response, manifest.maxOutputBytes());
      }
      Rejection rejection = rejection(response);
      if (response.status() == 401) {
        // throws the credential's code when no retry is left; returns when one more may succeed
        credential.rejected(method, plan.uri(), rejection);
        if (send >= MAX_SENDS) {
          throw new CredentialException(
              CredentialException.CREDENTIAL_REJECTED,
              "the resource refused the credential after " + MAX_SENDS + " tries");
        }
        continue;
      }
      if (response.status() == 403 && "insufficient_scope".equals(rejection.error())) {
        throw insufficientScope(credential.need(), rejection.scope(), invocation.approved());
      }
      return result(response, manifest.maxOutputBytes());
    }
  }

  /**
   * The invocation's credential when the tool declares a need; a tool that declares none never
   * sends one, and a need without a credential fails rather than going out unauthenticated.
   */
  private static CallCredential credential(HttpTool tool, ToolInvocation invocation) {
    CredentialNeed need = tool.spec().credential();
    if (need == null) {
      return null;
    }
    if (invocation.credential() == null) {
      throw new ToolException(
          ToolException.TOOL_FAILED, "tool_failed: the call carries no credential for " + need);
    }
    return invocation.credential();
  }

  /** Asks the kernel to pay the upstream's 402 for this call (budget-gated, receipted). */
  private static PaidRetry pay(
      PaymentService payments, ToolInvocation invocation, RequestPlan plan, EgressResponse res) {
    URI uri = plan.uri();
    String origin =
        uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    byte[] body = res.body();
    String text =
        body.length > MAX_CHALLENGE_BODY
            ? new String(body, 0, MAX_CHALLENGE_BODY, StandardCharsets.UTF_8)
            : new String(body, StandardCharsets.UTF_8);
    return payments.pay(invocation, origin, res.status(), res.headers(), text);
  }

  private EgressResponse send(
      String method,
      RequestPlan plan,
      CallCredential credential,
      EgressPolicy policy,
      PaidRetry paid)
      throws ToolException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Accept", "application/json");
    if (plan.body() != null) {
      headers.put("Content-Type", "application/json");
    }
    if (credential != null) {
      RequestCredential granted = credential.authorize(method, plan.uri());
      for (Map.Entry<String, Sensitive<String>> h : granted.headers().entrySet()) {
        headers.put(h.getKey(), h.getValue().reveal());
      }
    }
    if (paid != null) {
      // the payment credential goes on this one request and nowhere else
      headers.putAll(paid.retryHeaders().reveal());
    }
    try {
      return egress.send(
          new EgressRequest(method, plan.uri().toString(), headers, plan.body()), policy);
    } catch (EgressException e) {
      // egress messages never carry header values, bodies or query strings
      throw new ToolException(e.code(), e.code() + ": " + e.getMessage());
    }
  }

  private static Rejection rejection(EgressResponse response) {
    List<String> challenges = response.headers().get("www-authenticate");
    return new Rejection(
        response.status(),
        challenges == null ? null : String.join(", ", challenges),
        response.header("dpop-nonce"),
        response.header("x-briefcase-error"));
  }

  /**
   * Before a human approved the call: ask one to re-authorize with the scope the resource named.
   * After: the re-authorization did not give the scope, so the call fails.
   */
  static ToolException insufficientScope(CredentialNeed need, String scope, boolean approved) {
    if (approved) {
      throw new CredentialException(
          CredentialException.INSUFFICIENT_SCOPE,
          "the resource still asks for a scope the credential " + need + " lacks");
    }
    // the scope comes from the upstream: only scope tokens (RFC 6749 §3.3) reach the approver
    Set<String> tokens = new LinkedHashSet<>();
    if (scope != null) {
      for (String token : scope.trim().split(" +")) {
        if (token.matches(SCOPE_TOKEN) && tokens.size() < 5) {
          tokens.add(token);
        }
      }
    }
    String wanted =
        tokens.isEmpty()
            ? "the scope the resource asks for"
            : "scope '" + String.join(" ", tokens) + "'";
    String summary =
        CredentialNeed.OAUTH.equals(need.strategy())
            ? "re-authorize provider "
                + need.reference()
                + " with "
                + wanted
                + " (briefcase login "
                + need.reference()
                + "), then approve"
            : "credential " + need + " lacks " + wanted + ": replace it, then approve";
    return new ApprovalRequiredException(summary);
  }

  /** {@code {status, headers: {content-type}, body[, truncated]}}, within the output limit. */
  private ToolResult result(EgressResponse response, long maxOutputBytes) {
    String contentType = response.header("content-type");
    boolean truncated = response.truncated();
    String text = new String(response.body(), StandardCharsets.UTF_8);
    Object body = text;
    if (!truncated && isJson(contentType)) {
      try {
        body = JSON.readValue(text, Object.class);
      } catch (JsonProcessingException | RuntimeException e) {
        body = text; // the upstream called it JSON; the agent still sees what it sent
      }
    }
    Map<String, Object> content = content(response.status(), contentType, body, truncated);
    // escaping can grow the body past the kernel's output limit: keep the longest text that fits
    if (size(content) > maxOutputBytes) {
      truncated = true;
      int lo = 0;
      int hi = text.length();
      while (lo < hi) {
        int mid = (int) (((long) lo + hi + 1) / 2);
        if (size(content(response.status(), contentType, cut(text, mid), true)) <= maxOutputBytes) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      text = cut(text, lo);
      content = content(response.status(), contentType, text, true);
    }
    try {
      return new ToolResult(content, source, null, truncated);
    } catch (IllegalArgumentException e) {
      // a JSON body beyond the plugin tree limits is handed on as its text
      return new ToolResult(
          content(response.status(), contentType, text, truncated), source, null, truncated);
    }
  }

  /** The first {@code length} chars, never ending in half a surrogate pair. */
  private static String cut(String text, int length) {
    int keep = length;
    if (keep > 0 && keep < text.length() && Character.isHighSurrogate(text.charAt(keep - 1))) {
      keep--;
    }
    return text.substring(0, keep);
  }

  private static Map<String, Object> content(
      int status, String contentType, Object body, boolean truncated) {
    Map<String, Object> content = new LinkedHashMap<>();
    content.put("status", status);
    Map<String, Object> headers = new LinkedHashMap<>();
    if (contentType != null) {
      headers.put("content-type", contentType);
    }
    content.put("headers", headers);
    content.put("body", body);
    if (truncated) {
      content.put("truncated", true);
    }
    return content;
  }

  private static long size(Map<String, Object> content) {
    try {
      return JSON.writeValueAsBytes(content).length;
    } catch (JsonProcessingException e) {
      return Long.MAX_VALUE;
    }
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return type.equals("application/json") || type.matches("application/[a-z0-9.!#$&^_+-]+\\+json");
  }

  private static Set<String> lowerCase(List<String> hosts) {
    Set<String> out = new LinkedHashSet<>();
    for (String h : hosts) {
      out.add(h.toLowerCase(Locale.ROOT));
    }
    return out;
  }
}
