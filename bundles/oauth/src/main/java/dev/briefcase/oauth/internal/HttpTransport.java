package dev.briefcase.oauth.internal;

import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import java.io.ByteArrayOutputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends the OAuth SDK's requests with the JDK HTTP client: no proxy, no redirects (a 3xx is
 * answered as is and never followed), a connect timeout and one deadline for the whole exchange
 * including the body, and a cap on the body. An AS or resource that is down, slow or too talkative
 * fails closed with {@code oauth_unavailable} / {@code oauth_response_too_large} within the
 * deadline. Thread-safe.
 */
final class HttpTransport {
  private static final Set<String> RESTRICTED =
      Set.of("host", "connection", "content-length", "expect", "upgrade");

  private final HttpClient client;
  private final Duration deadline;
  private final int maxBytes;

  HttpTransport(Duration connectTimeout, Duration deadline, int maxBytes) {
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(ProxySelector.of(null))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    this.deadline = deadline;
    this.maxBytes = maxBytes;
  }

  Duration deadline() {
    return deadline;
  }

  /** Sends {@code request}; any transport failure is {@code oauth_unavailable}. */
  HTTPResponse send(HTTPRequest request) throws OAuthException {
    String body = request.getBody();
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
    URI uri = request.getURI();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri).timeout(deadline).method(request.getMethod().name(), publisher);
    for (Map.Entry<String, List<String>> h : request.getHeaderMap().entrySet()) {
      if (RESTRICTED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        continue;
      }
      for (String v : h.getValue()) {
        b.header(h.getKey(), v);
      }
    }
    String server = ServerUrls.origin(uri);
    CompletableFuture<HttpResponse<byte[]>> future =
        client.sendAsync(b.build(), info -> new CappedBody(maxBytes));
    HttpResponse<byte[]> response;
    try {
      response = future.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new OAuthException(
          "oauth_unavailable",
          "no answer from " + server + " within " + deadline.toMillis() + " ms");
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new OAuthException("oauth_unavailable", "interrupted while calling " + server);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TooLarge) {
        throw new OAuthException(
            "oauth_response_too_large", "response from " + server + " exceeds " + maxBytes + " B");
      }
      throw new OAuthException("oauth_unavailable", "cannot reach " + server);
    }
    return toNimbus(response);
  }

  private static HTTPResponse toNimbus(HttpResponse<byte[]> response) throws OAuthException {
    HTTPResponse out = new HTTPResponse(response.statusCode());
    HttpHeaders headers = response.headers();
    for (Map.Entry<String, List<String>> h : headers.map().entrySet()) {
      if (h.getKey().equalsIgnoreCase("content-type")) {
        try {
          out.setContentType(h.getValue().get(0));
        } catch (ParseException e) {
          throw new OAuthException("oauth_invalid_response", "unreadable Content-Type");
        }
      } else {
        out.setHeader(h.getKey(), h.getValue().toArray(new String[0]));
      }
    }
    out.setBody(new String(response.body(), StandardCharsets.UTF_8));
    return out;
  }

  /** Marks a body over the cap. */
  private static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super("response body over the cap", null, false, false);
    }
  }

  /** Collects a body, cancelling the exchange as soon as it passes the cap. */
  private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final int max;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    CappedBody(int max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer item : items) {
        if (buffer.size() + item.remaining() > max) {
          subscription.cancel();
          result.completeExceptionally(new TooLarge());
          return;
        }
        byte[] chunk = new byte[item.remaining()];
        item.get(chunk);
        buffer.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(buffer.toByteArray());
    }
  }
}
