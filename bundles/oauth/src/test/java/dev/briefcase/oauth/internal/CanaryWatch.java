package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The canary check of a test class: every secret value its flows handled (tokens, codes, verifiers,
 * proofs) is collected in {@link #secrets}, and at the end none may appear in the captured log
 * (slf4j-simple writes to {@code System.err} at each call, so everything logged is captured), in a
 * receipt or in a message the tests collected.
 */
final class CanaryWatch {
  final Set<String> secrets = ConcurrentHashMap.newKeySet();
  final List<String> texts = new CopyOnWriteArrayList<>();
  final List<ObjectNode> receipts = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private PrintStream original;

  /** Starts capturing {@code System.err}. */
  void start() {
    original = System.err;
    System.setErr(new PrintStream(new Tee(original, log), true, StandardCharsets.UTF_8));
  }

  /** Stops capturing; returns the log. */
  String stop() {
    if (original != null) {
      System.setErr(original);
    }
    return log.toString(StandardCharsets.UTF_8);
  }

  /**
   * Checks that no collected secret appears anywhere.
   *
   * @param logMarker a line the flows certainly logged, proving the capture worked
   */
  void check(String capturedLog, String logMarker) {
    assertTrue("log capture is empty", capturedLog.contains(logMarker));
    String receiptText = receipts.toString();
    for (String secret : secrets) {
      assertFalse("a secret value appears in the log", capturedLog.contains(secret));
      assertFalse("a secret value appears in a receipt", receiptText.contains(secret));
      for (String t : texts) {
        assertFalse("a secret value appears in: " + t, t.contains(secret));
      }
    }
  }

  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
