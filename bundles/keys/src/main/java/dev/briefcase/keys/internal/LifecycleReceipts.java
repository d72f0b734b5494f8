package dev.briefcase.keys.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.receipts.ReceiptLog;
import java.time.Clock;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@code key_lifecycle} receipt of a create, rotate or delete, destroying the replaced
 * key on its backend first (best effort: an unavailable backend leaves it, which the receipt says).
 * Thread-safe.
 */
final class LifecycleReceipts {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(LifecycleReceipts.class);

  private final ReceiptLog receipts;
  private final SignerDirectory signers;
  private final Clock clock;

  LifecycleReceipts(ReceiptLog receipts, SignerDirectory signers, Clock clock) {
    this.receipts = receipts;
    this.signers = signers;
    this.clock = clock;
  }

  /**
   * Records {@code action}; {@code now} is the new key (null on delete), {@code old} the replaced.
   */
  void record(String action, KeyInfo now, KeyInfo old, String actor) {
    ObjectNode event = MAPPER.createObjectNode();
    event.put("type", "key_lifecycle");
    event.put("action", action);
    KeyInfo subject = now != null ? now : old;
    event.put("role", subject.role());
    if (now != null) {
      event.put("backend", now.handle().signerId());
      event.put("key_id", now.handle().keyId());
      event.put("algorithm", now.handle().algorithm().name().toLowerCase(Locale.ROOT));
      event.put("thumbprint", now.thumbprint());
      event.put("hardware_backed", now.hardwareBacked());
    }
    if (old != null) {
      event.put("old_backend", old.handle().signerId());
      event.put("old_key_id", old.handle().keyId());
      event.put("old_thumbprint", old.thumbprint());
      event.put("old_key_destroyed", destroy(old));
    }
    event.put("actor", actor == null ? "unknown" : actor);
    event.put("ts", clock.instant().toString());
    receipts.append(event);
    LOG.info("key {} for role {} by {}", action, subject.role(), actor);
  }

  private boolean destroy(KeyInfo old) {
    SignerBinding b = signers.best(old.handle().signerId());
    if (b == null) {
      LOG.warn(
          "old key {} of role {} not destroyed: backend {} unavailable",
          old.handle().keyId(),
          old.role(),
          old.handle().signerId());
      return false;
    }
    try {
      return b.signer().delete(old.handle());
    } catch (RuntimeException e) {
      LOG.warn("old key {} of role {} not destroyed: {}", old.handle().keyId(), old.role(), e);
      return false;
    }
  }
}
