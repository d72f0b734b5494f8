package dev.briefcase.receipts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The append-only, hash-chained receipt log (SPEC §6). Thread-safe; appends from many threads form
 * one linear chain.
 */
@ProviderType
public interface ReceiptLog {

  /**
   * Appends an event and returns once it is durable on disk. The event must be I-JSON and must
   * carry its own {@code ts}.
   *
   * @throws ReceiptException when the receipt could not be written; the caller must fail closed
   */
  Receipt append(ObjectNode event) throws ReceiptException;

  /** Receipts newest first; {@code limit} is capped at 500. */
  List<Receipt> list(int limit, long offset);

  /** Walks the whole chain in id order. */
  VerifyResult verify();

  /**
   * Writes receipts with id greater than {@code afterId} as JSON lines in ascending order, then a
   * trailer line {@code {"head_hash_hex","count"}}. A log that signs checkpoints first has the head
   * checkpointed and ends the export at that checkpoint, so an export carries no receipt that no
   * checkpoint covers (unless none could be signed).
   *
   * @return how many receipts were written
   */
  long export(long afterId, Writer out) throws IOException;
}
