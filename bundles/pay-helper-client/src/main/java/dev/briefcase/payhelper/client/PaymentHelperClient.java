package dev.briefcase.payhelper.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the payment helper for one request (SPEC §14.4): one JSON object on stdin, one on stdout,
 * exit 0 for success. Thread-safe; every call starts its own process.
 *
 * <p>The helper's stderr is discarded rather than logged, because a helper may print diagnostics
 * that must not end up in the daemon's log. A request is never retried here: whether a second
 * attempt is safe is decided by the idempotency key the caller put in the request.
 */
public final class PaymentHelperClient {
  /** The largest request or answer, in bytes. */
  public static final int MAX_BYTES = 1 << 20;

  /** The default time a helper may take (SPEC §14.4). */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** No command is configured, or it cannot be started. */
  public static final String UNAVAILABLE = "payment_helper_unavailable";

  /** The helper did not answer in time and was killed. */
  public static final String TIMEOUT = "payment_helper_timeout";

  /** The helper exited non-zero without a well-formed error of its own. */
  public static final String FAILED = "payment_helper_failed";

  /** The answer is not one JSON object, is too big, or lacks the expected field. */
  public static final String INVALID_RESPONSE = "payment_helper_invalid_response";

  /** The helper's own refusals (PAYMENTS contract §3), passed on with their code. */
  public static final Set<String> HELPER_CODES =
      Set.of(
          "payment_request_invalid",
          "payment_limit_exceeded",
          "payment_asset_not_allowed",
          "payment_network_not_allowed",
          "payment_key_unavailable",
          "payment_node_failed",
          "payment_idempotency_conflict",
          "payment_invoice_invalid",
          "payment_invoice_expired",
          "payment_invoice_network",
          "payment_preimage_mismatch");

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final List<String> command;
  private final Duration timeout;

  /**
   * @param command the program and its arguments; empty means no helper is configured
   * @param timeout how long one request may take; null for {@link #DEFAULT_TIMEOUT}
   */
  public PaymentHelperClient(List<String> command, Duration timeout) {
    this.command = command == null ? List.of() : List.copyOf(command);
    this.timeout =
        timeout == null || timeout.isNegative() || timeout.isZero() ? DEFAULT_TIMEOUT : timeout;
  }

  /** Whether a command is configured at all. */
  public boolean configured() {
    return !command.isEmpty() && !command.get(0).isBlank();
  }

  /**
   * Sends {@code request} and returns the helper's answer.
   *
   * @param expectedField a field the answer must carry as a non-empty string
   * @throws PaymentException one of this class's codes, or a {@link #HELPER_CODES helper code}
   */
  public JsonNode call(ObjectNode request, String expectedField) throws PaymentException {
    if (!configured()) {
      throw new PaymentException(UNAVAILABLE, "no payment helper is configured");
    }
    byte[] in;
    try {
      in = JSON.writeValueAsBytes(request);
    } catch (JsonProcessingException e) {
      throw new PaymentException(INVALID_RESPONSE, "the helper request cannot be written");
    }
    if (in.length > MAX_BYTES) {
      throw new PaymentException(FAILED, "the helper request is larger than 1 MiB");
    }
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .start();
    } catch (IOException | RuntimeException e) {
      throw new PaymentException(UNAVAILABLE, "the payment helper cannot be started");
    }
    try {
      return exchange(process, in, expectedField);
    } finally {
      kill(process);
    }
  }

  private JsonNode exchange(Process process, byte[] in, String expectedField)
      throws PaymentException {
    // stdin and stdout run on their own threads: a helper that answers before reading, or never
    // reads, must not block the caller past the timeout on a full pipe.
    Thread writer = daemon("payment-helper-stdin", () -> write(process.getOutputStream(), in));
    Bounded out = new Bounded(process.getInputStream());
    Thread reader = daemon("payment-helper-stdout", out);
    writer.start();
    reader.start();
    int exit;
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new PaymentException(
            TIMEOUT, "the payment helper did not answer within " + timeout.toSeconds() + " s");
      }
      exit = process.exitValue();
      reader.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PaymentException(TIMEOUT, "interrupted while waiting for the payment helper");
    }
    if (reader.isAlive() || out.overflow) {
      throw new PaymentException(INVALID_RESPONSE, "the helper answer is larger than 1 MiB");
    }
    JsonNode answer = parse(out.bytes());
    if (exit != 0) {
      String code =
          answer != null && answer.path("error").isTextual() ? answer.path("error").asText() : null;
      if (code != null && HELPER_CODES.contains(code)) {
        throw new PaymentException(code, "payment helper: " + oneLine(answer.path("message")));
      }
      throw new PaymentException(FAILED, "the payment helper exited with status " + exit);
    }
    if (answer == null) {
      throw new PaymentException(INVALID_RESPONSE, "the helper answer is not one JSON object");
    }
    JsonNode field = answer.get(expectedField);
    if (field == null || !field.isTextual() || field.asText().isEmpty()) {
      throw new PaymentException(INVALID_RESPONSE, "the helper answer has no " + expectedField);
    }
    return answer;
  }

  private static JsonNode parse(byte[] bytes) {
    try {
      JsonNode node = JSON.readTree(bytes);
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The helper's message, one printable line of at most 200 characters. */
  private static String oneLine(JsonNode message) {
    String s = message.isTextual() ? message.asText() : "";
    s = s.replaceAll("[\\p{Cntrl}]+", " ").strip();
    return s.length() <= 200 ? s : s.substring(0, 200);
  }

  private static void write(OutputStream stdin, byte[] in) {
    try (stdin) {
      stdin.write(in);
    } catch (IOException e) {
      // the helper closed its stdin early; its exit status and answer tell what happened
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      // reap it, so a killed helper is gone (not a zombie) when the call returns
      process.waitFor(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Reads stdout up to {@link #MAX_BYTES}; more marks an overflow and is drained unread, so a
   * helper that prints too much still exits rather than blocking on a full pipe.
   */
  private static final class Bounded implements Runnable {
    private final InputStream in;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private volatile boolean overflow;

    Bounded(InputStream in) {
      this.in = in;
    }

    @Override
    public void run() {
      byte[] chunk = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(chunk)) >= 0) {
          synchronized (buffer) {
            if (overflow || buffer.size() + n > MAX_BYTES) {
              overflow = true;
            } else {
              buffer.write(chunk, 0, n);
            }
          }
        }
      } catch (IOException e) {
        // the process was killed; what was read so far is judged by the caller
      }
    }

    byte[] bytes() {
      synchronized (buffer) {
        return buffer.toByteArray();
      }
    }
  }
}
