package dev.briefcase.keys.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.receipts.VerifyResult;
import java.io.Writer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** A receipt log that keeps the appended events in memory. */
final class FakeReceipts implements ReceiptLog {
  final List<ObjectNode> events = new ArrayList<>();
  private final AtomicLong ids = new AtomicLong();

  @Override
  public synchronized Receipt append(ObjectNode event) {
    events.add(event);
    return new Receipt(ids.incrementAndGet(), Instant.now(), "0".repeat(64), "x", event);
  }

  @Override
  public List<Receipt> list(int limit, long offset) {
    return List.of();
  }

  @Override
  public VerifyResult verify() {
    return new VerifyResult(true, 0, null, null, null, null);
  }

  @Override
  public long export(long afterId, Writer out) {
    return 0;
  }
}
