package dev.briefcase.payhelper;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Core Lightning over its JSON-RPC 2.0 unix socket: {@code pay} (retried on transient route
 * failures up to the configured window, since lightningd refuses to pay one hash twice) and {@code
 * listpays}.
 */
public final class ClnRpcNode implements LightningNode {
  /** CLN pay codes worth another try: route failures and a payment that stopped retrying. */
  static final Set<Integer> TRANSIENT = Set.of(204, 205, 210);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_RESPONSE = 16 << 20;

  private final Path socket;
  private final Duration retry;
  private final LongSupplier nanoClock;
  private final AtomicLong ids = new AtomicLong();

  public ClnRpcNode(Path socket, Duration retry) {
    this(socket, retry, System::nanoTime);
  }

  ClnRpcNode(Path socket, Duration retry, LongSupplier nanoClock) {
    this.socket = socket;
    this.retry = retry;
    this.nanoClock = nanoClock;
  }

  @Override
  public Payment pay(String bolt11, String paymentHash) throws NodeException {
    long deadline = nanoClock.getAsLong() + retry.toNanos();
    for (int attempt = 0; ; attempt++) {
      ObjectNode params = JSON.createObjectNode().put("bolt11", bolt11);
      JsonNode answer = call("pay", params, true);
      JsonNode error = answer.get("error");
      if (error == null) {
        JsonNode result = answer.path("result");
        String status = result.path("status").asText("");
        if ("complete".equals(status)) {
          return new Payment(
              Status.SUCCEEDED,
              result.path("payment_hash").asText(paymentHash).toLowerCase(Locale.ROOT),
              result.path("payment_preimage").asText("").toLowerCase(Locale.ROOT));
        }
        throw new NodeException("CLN: the payment is " + LndRestNode.oneLine(status), false);
      }
      int code = error.path("code").asInt();
      String message = LndRestNode.oneLine(error.path("message").asText(""));
      if (!TRANSIENT.contains(code)) {
        throw new NodeException("CLN refused the payment (" + code + "): " + message, true);
      }
      if (nanoClock.getAsLong() - deadline >= 0) {
        throw new NodeException(
            "CLN could not pay within " + retry.toSeconds() + " s (" + code + "): " + message,
            true);
      }
      pause(attempt);
    }
  }

  @Override
  public Optional<Payment> lookup(String paymentHash) throws NodeException {
    JsonNode answer =
        call("listpays", JSON.createObjectNode().put("payment_hash", paymentHash), false);
    if (answer.has("error")) {
      throw new NodeException(
          "CLN listpays failed: "
              + LndRestNode.oneLine(answer.path("error").path("message").asText()),
          false);
    }
    Payment found = null;
    for (JsonNode p : answer.path("result").path("pays")) {
      if (!paymentHash.equalsIgnoreCase(p.path("payment_hash").asText())) {
        continue;
      }
      String status = p.path("status").asText("");
      if ("complete".equals(status)) {
        return Optional.of(
            new Payment(
                Status.SUCCEEDED,
                paymentHash,
                p.path("preimage").asText("").toLowerCase(Locale.ROOT)));
      }
      found =
          new Payment(
              "failed".equals(status) ? Status.FAILED : Status.IN_FLIGHT, paymentHash, null);
    }
    return Optional.ofNullable(found);
  }

  private JsonNode call(String method, ObjectNode params, boolean paying) throws NodeException {
    long id = ids.incrementAndGet();
    ObjectNode request = JSON.createObjectNode();
    request.put("jsonrpc", "2.0").put("id", id).put("method", method).set("params", params);
    SocketChannel ch;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new NodeException("unix sockets are unavailable", true);
    }
    try (ch) {
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        throw new NodeException("CLN is unreachable", true);
      }
      ByteBuffer out = ByteBuffer.wrap(JSON.writeValueAsBytes(request));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      InputStream in = new Bounded(Channels.newInputStream(ch), MAX_RESPONSE);
      try (JsonParser parser = JSON.createParser(in)) {
        JsonNode answer = JSON.readTree(parser);
        if (answer == null || !answer.isObject() || answer.path("id").asLong() != id) {
          throw new IOException("not a JSON-RPC answer");
        }
        return answer;
      }
    } catch (IOException e) {
      throw new NodeException("CLN did not answer: " + e.getClass().getSimpleName(), !paying);
    }
  }

  private static void pause(int attempt) throws NodeException {
    try {
      Thread.sleep(Math.min(1000L, 100L << Math.min(attempt, 4)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NodeException("interrupted", false);
    }
  }

  /** Stops reading after {@code max} bytes: a node's answer is not allowed to exhaust memory. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long max) {
      this.in = in;
      this.left = max;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        throw new IOException("answer too large");
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        throw new IOException("answer too large");
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
