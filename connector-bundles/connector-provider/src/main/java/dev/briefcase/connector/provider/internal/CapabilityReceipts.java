package dev.briefcase.connector.provider.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import java.time.Clock;

/**
 * The receipts of the capability strategy ({@code type: capability} and {@code vc}): events that
 * never carry a value, appended fail-closed ({@code receipt_unavailable}).
 */
final class CapabilityReceipts {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ReceiptLog receipts;
  private final Clock clock;

  CapabilityReceipts(ReceiptLog receipts, Clock clock) {
    this.receipts = receipts;
    this.clock = clock;
  }

  /** An empty receipt object. */
  ObjectNode node() {
    return JSON.createObjectNode();
  }

  ObjectNode vcEvent(String action, String providerId, String outcome) {
    ObjectNode e = event(action, providerId, outcome);
    e.put("type", "vc");
    return e;
  }

  ObjectNode event(String action, String providerId, String outcome) {
    ObjectNode e = JSON.createObjectNode();
    e.put("type", "capability");
    e.put("action", action);
    e.put("provider", providerId);
    e.put("outcome", outcome);
    e.put("ts", clock.instant().toString());
    return e;
  }

  /** Appends a receipt (never a value); one that cannot be written fails the step. */
  void append(ObjectNode event) throws CredentialException {
    try {
      receipts.append(event);
    } catch (ReceiptException e) {
      throw new CredentialException(
          CapabilityStrategy.RECEIPT_UNAVAILABLE, "the receipt log refused the capability receipt");
    }
  }
}
