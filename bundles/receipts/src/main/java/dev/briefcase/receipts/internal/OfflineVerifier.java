package dev.briefcase.receipts.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Verifies a receipt export (NDJSON from {@code GET /v1/receipts/export}, SPEC §6) with no daemon:
 * ids ascending by one, every {@code prev_hash_hex} link, every hash over the re-canonicalized
 * event, every checkpoint signature against the given public keys, and the trailer.
 *
 * <p>A checkpoint must cover a receipt after the previous checkpoint's and before itself; the hash
 * it signs must be the hash the export holds at that id. So an attacker who edits a receipt and
 * re-chains every hash after it fails at the first checkpoint after the edit: that checkpoint's
 * statement no longer matches, and a new one cannot be signed without the key.
 *
 * <p>Deleting checkpoints instead is caught by coverage: more than {@link Checkpoint#bound}
 * receipts (for the cadence {@code every} the checkpoints sign) between two checkpoints, or before
 * the first, fail with {@code checkpoint_gap}; receipts but no checkpoint, more than the bound of
 * them, fail with {@code checkpoint_missing}; a longer unsigned tail after the last checkpoint
 * fails with {@code unsigned_tail_too_long}.
 *
 * <p>By default ({@link #TAIL_NONE}) nothing may follow the last checkpoint: receipts no checkpoint
 * covers are exactly what anyone can fabricate (a short chain of well-formed hashes needs no key),
 * so they fail with {@code unsigned_tail}. An export taken through the daemon has the head
 * checkpointed first, so an honest fresh export has no tail. A caller who accepts an uncovered tail
 * says so ({@link #TAIL_ANY}, or a number) and is told how long it is.
 *
 * <p>Failure reasons (stable): {@code malformed}, {@code chain_broken}, {@code hash_mismatch},
 * {@code checkpoint_invalid}, {@code checkpoint_unknown_key}, {@code checkpoint_bad_signature},
 * {@code checkpoint_mismatch}, {@code checkpoint_gap}, {@code checkpoint_missing}, {@code
 * unsigned_tail}, {@code unsigned_tail_too_long}, {@code trailer_missing}, {@code
 * trailer_mismatch}. Stateless; one call per export.
 */
public final class OfflineVerifier {

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /** The unsigned-tail limit meaning "the checkpoint bound" ({@link Checkpoint#bound}). */
  public static final long TAIL_BOUND = -1;

  /** The unsigned-tail limit meaning "any tail, and no checkpoint at all, is allowed". */
  public static final long TAIL_ANY = Long.MAX_VALUE;

  /**
   * The default unsigned-tail limit: every receipt must be covered by a checkpoint, else {@value
   * #UNSIGNED_TAIL}.
   */
  public static final long TAIL_NONE = -2;

  /**
   * The reason when receipts follow the last checkpoint (or none exists) under {@link #TAIL_NONE}.
   */
  public static final String UNSIGNED_TAIL = "unsigned_tail";

  private OfflineVerifier() {}

  /**
   * The outcome.
   *
   * @param ok whether everything verified
   * @param count receipts read
   * @param headHashHex the hash of the last receipt read
   * @param checkpointsVerified checkpoints whose signature and head verified
   * @param lastCheckpointSeq the id covered by the last verified checkpoint, 0 if none
   * @param unsignedTail receipts after {@code lastCheckpointSeq} that are not checkpoints
   * @param tailLimit the most unsigned receipts allowed after the last checkpoint (or with none)
   * @param firstBadId the id (the line's, for a checkpoint the checkpoint receipt's) where
   *     verification failed, or null
   * @param reason the stable failure code, or null
   * @param detail one line saying why, or null
   */
  public record Result(
      boolean ok,
      long count,
      String headHashHex,
      int checkpointsVerified,
      long lastCheckpointSeq,
      long unsignedTail,
      long tailLimit,
      Long firstBadId,
      String reason,
      String detail) {}

  /**
   * Reads the export line by line. The first receipt must be id 1 (on the genesis hash) unless
   * {@code partial}, when it may start anywhere and its {@code prev_hash_hex} is taken as given.
   */
  public static Result verify(
      BufferedReader in, List<Checkpoint.VerificationKey> keys, boolean partial)
      throws IOException {
    return verify(in, keys, partial, TAIL_NONE);
  }

  /**
   * {@link #verify(BufferedReader, List, boolean)} with an unsigned-tail limit: {@link #TAIL_NONE}
   * (the default), {@link #TAIL_BOUND}, {@link #TAIL_ANY}, or at most that many receipts.
   */
  public static Result verify(
      BufferedReader in, List<Checkpoint.VerificationKey> keys, boolean partial, long maxTail)
      throws IOException {
    Objects.requireNonNull(keys, "keys");
    if (maxTail < 0 && maxTail != TAIL_BOUND && maxTail != TAIL_NONE) {
      throw new IllegalArgumentException("maxTail must be at least 0");
    }
    Walk w = new Walk(keys, maxTail);
    String line;
    long lineNo = 0;
    boolean trailerSeen = false;
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      long at = w.lastId + 1;
      if (trailerSeen) {
        return w.fail(at, "malformed", "line " + lineNo + " follows the trailer");
      }
      JsonNode node;
      try {
        node = MAPPER.readTree(line);
      } catch (JsonProcessingException e) {
        return w.fail(at, "malformed", "line " + lineNo + " is not JSON");
      }
      if (node == null || !node.isObject()) {
        return w.fail(at, "malformed", "line " + lineNo + " is not a JSON object");
      }
      if (!node.has("id") && node.has("head_hash_hex") && node.has("count")) {
        Result bad = w.trailer(node);
        if (bad != null) {
          return bad;
        }
        trailerSeen = true;
        continue;
      }
      Result bad = w.receipt(node, lineNo, partial);
      if (bad != null) {
        return bad;
      }
    }
    if (!trailerSeen) {
      return w.fail(w.lastId + 1, "trailer_missing", "the export ends without its trailer");
    }
    return w.tail();
  }

  /** The running state of one walk. */
  private static final class Walk {
    final List<Checkpoint.VerificationKey> keys;
    long count;
    long lastId;
    String prev;
    int checkpoints;
    long lastCheckpointSeq;
    long unsigned;
    // hashes of the receipts after lastCheckpointSeq: hashes.get(i) is the hash of id base + i
    long base;
    final List<String> hashes = new ArrayList<>();
    final List<Boolean> isCheckpoint = new ArrayList<>();
    final long maxTail;
    // the cadence the last verified checkpoint signed (0: none, or a v1 checkpoint)
    long lastEvery;

    Walk(List<Checkpoint.VerificationKey> keys, long maxTail) {
      this.keys = keys;
      this.maxTail = maxTail;
    }

    long tailLimit() {
      if (maxTail == TAIL_NONE) {
        return 0;
      }
      return maxTail == TAIL_BOUND ? Checkpoint.bound(lastEvery) : maxTail;
    }

    Result tail() {
      long limit = tailLimit();
      if (unsigned <= limit) {
        return result(true, null, null, null);
      }
      if (maxTail == TAIL_NONE) {
        return fail(
            checkpoints == 0 ? base : lastCheckpointSeq + 1,
            UNSIGNED_TAIL,
            unsigned
                + " receipts "
                + (checkpoints == 0
                    ? "and no checkpoint: nothing vouches for any of them"
                    : "after the last checkpoint (over id " + lastCheckpointSeq + ") are unsigned")
                + "; export through the daemon to have the head checkpointed, or accept the"
                + " uncovered tail explicitly (--allow-unsigned-tail)");
      }
      if (checkpoints == 0) {
        return fail(
            base,
            "checkpoint_missing",
            count
                + " receipts and no checkpoint: nothing vouches for receipts "
                + base
                + " to "
                + lastId
                + " (at most "
                + limit
                + " may be unsigned)");
      }
      return fail(
          lastCheckpointSeq + 1,
          "unsigned_tail_too_long",
          unsigned
              + " receipts after the last checkpoint (over id "
              + lastCheckpointSeq
              + "), at most "
              + limit
              + " allowed");
    }

    Result receipt(JsonNode node, long lineNo, boolean partial) {
      JsonNode idNode = node.get("id");
      JsonNode prevNode = node.get("prev_hash_hex");
      JsonNode hashNode = node.get("hash_hex");
      JsonNode event = node.get("event");
      long at = lastId + 1;
      if (idNode == null
          || !idNode.isIntegralNumber()
          || !idNode.canConvertToLong()
          || prevNode == null
          || !prevNode.isTextual()
          || hashNode == null
          || !hashNode.isTextual()
          || event == null
          || !event.isObject()) {
        return fail(at, "malformed", "line " + lineNo + " is not a receipt");
      }
      long id = idNode.asLong();
      String storedPrev = prevNode.textValue();
      String storedHash = hashNode.textValue();
      if (count == 0) {
        if (id == 1) {
          prev = ReceiptChain.GENESIS_HASH_HEX;
        } else if (partial && id > 1 && ReceiptChain.isHashHex(storedPrev)) {
          prev = storedPrev;
        } else {
          return fail(id, "chain_broken", "the export does not start at id 1");
        }
        base = id;
      } else if (id != lastId + 1) {
        return fail(at, "chain_broken", "receipt id " + id + " follows " + lastId);
      }
      if (!prev.equals(storedPrev)) {
        return fail(id, "chain_broken", "prev_hash_hex is not the previous receipt's hash");
      }
      String canonical;
      try {
        canonical = ReceiptChain.canonicalJson(MAPPER.writeValueAsString(event));
      } catch (JsonProcessingException | IllegalArgumentException e) {
        return fail(id, "hash_mismatch", "the event has no canonical form");
      }
      if (!ReceiptChain.hashHex(storedPrev, canonical).equals(storedHash)) {
        return fail(id, "hash_mismatch", "hash_hex does not match the event");
      }
      lastId = id;
      prev = storedHash;
      count++;
      hashes.add(storedHash);
      boolean checkpoint = Checkpoint.isCheckpoint(event);
      isCheckpoint.add(checkpoint);
      if (checkpoint) {
        return checkpoint(id, event);
      }
      unsigned++;
      return null;
    }

    Result checkpoint(long id, JsonNode event) {
      Checkpoint.Fields f;
      try {
        f = Checkpoint.fields(event);
        Checkpoint.statement(f.seq(), f.headHashHex(), f.count(), f.kid(), f.alg(), f.every());
      } catch (IllegalArgumentException e) {
        return fail(id, "checkpoint_invalid", e.getMessage());
      }
      if (f.seq() <= lastCheckpointSeq || f.seq() >= id || f.seq() < base) {
        return fail(
            id,
            "checkpoint_invalid",
            "checkpoint covers seq " + f.seq() + ", not one after " + lastCheckpointSeq);
      }
      if (f.count() != f.seq()) {
        return fail(id, "checkpoint_invalid", "checkpoint count differs from its seq");
      }
      Checkpoint.VerificationKey key = null;
      for (Checkpoint.VerificationKey k : keys) {
        if (k.kid().equals(f.kid()) && k.alg().equals(f.alg())) {
          key = k;
          break;
        }
      }
      if (key == null) {
        return fail(
            id,
            "checkpoint_unknown_key",
            "checkpoint over seq "
                + f.seq()
                + " is signed by key "
                + f.kid()
                + ", not a given key");
      }
      if (!Checkpoint.signatureValid(f, key)) {
        return fail(
            id,
            "checkpoint_bad_signature",
            "the signature of the checkpoint over seq " + f.seq() + " does not verify");
      }
      String held = hashes.get((int) (f.seq() - base));
      if (!held.equals(f.headHashHex())) {
        return fail(
            id,
            "checkpoint_mismatch",
            "receipt "
                + f.seq()
                + " does not have the hash its checkpoint signed: the chain was rewritten");
      }
      // everything up to seq is signed: forget it, and count what is left unsigned after it
      int drop = (int) (f.seq() - base + 1);
      long gap = isCheckpoint.subList(0, drop).stream().filter(c -> !c).count();
      long cadence =
          Math.max(
              f.every() > 0 ? f.every() : Checkpoint.DEFAULT_EVERY,
              checkpoints > 0 ? (lastEvery > 0 ? lastEvery : Checkpoint.DEFAULT_EVERY) : 0);
      if (gap > Checkpoint.bound(cadence)) {
        return fail(
            id,
            "checkpoint_gap",
            "receipts "
                + base
                + " to "
                + f.seq()
                + " ("
                + gap
                + ") have no checkpoint between them, at most "
                + Checkpoint.bound(cadence)
                + " for every "
                + cadence
                + ": nothing vouches for that stretch");
      }
      hashes.subList(0, drop).clear();
      isCheckpoint.subList(0, drop).clear();
      base = f.seq() + 1;
      lastCheckpointSeq = f.seq();
      lastEvery = f.every();
      checkpoints++;
      unsigned = isCheckpoint.stream().filter(c -> !c).count();
      return null;
    }

    Result trailer(JsonNode node) {
      JsonNode head = node.get("head_hash_hex");
      JsonNode n = node.get("count");
      long at = lastId + 1;
      if (!head.isTextual() || !n.isIntegralNumber()) {
        return fail(at, "malformed", "the trailer is not {head_hash_hex, count}");
      }
      String expectedHead = count == 0 ? null : prev;
      if (n.asLong() != count || (expectedHead != null && !expectedHead.equals(head.textValue()))) {
        return fail(at, "trailer_mismatch", "the trailer does not match the receipts read");
      }
      return null;
    }

    Result fail(long id, String reason, String detail) {
      return result(false, id, reason, detail);
    }

    Result result(boolean ok, Long id, String reason, String detail) {
      return new Result(
          ok,
          count,
          prev == null ? ReceiptChain.GENESIS_HASH_HEX : prev,
          checkpoints,
          lastCheckpointSeq,
          unsigned,
          tailLimit(),
          id,
          reason,
          detail);
    }
  }
}
