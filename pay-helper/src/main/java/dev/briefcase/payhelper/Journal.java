package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The idempotency journal: one file per idempotency key, replaced atomically and fsync'd before the
 * answer is printed, so a crash between the two replays the same answer instead of paying again.
 * Secrets in it (a PAYMENT-SIGNATURE, a preimage) are sealed with the key store's data key, bound
 * to the key, rail and request digest. A per-key lock file serialises concurrent calls with one
 * key.
 */
public final class Journal {
  /**
   * Resolved entries older than this may be removed. The kernel may re-send an idempotency key for
   * an unfinished payment row long after the first attempt; within this window such a re-send is
   * replayed, never signed or paid again.
   */
  public static final Duration RETENTION = Duration.ofDays(30);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final byte[] dataKey;

  /**
   * One journal entry.
   *
   * @param rail {@code x402_v2} or {@code l402}
   * @param requestDigest SHA-256 (hex) of the canonical request without its idempotency key
   * @param state {@code done} (x402), {@code paying} or {@code paid} (l402)
   * @param paymentHash the L402 payment hash (hex), or null
   * @param createdAt when the key was first seen
   * @param sealed the sealed answer, or null while paying
   */
  public record Entry(
      String rail,
      String requestDigest,
      String state,
      String paymentHash,
      Instant createdAt,
      byte[] sealed) {}

  public Journal(Path dir, byte[] dataKey) throws IOException {
    this.dir = dir;
    this.dataKey = dataKey.clone();
    PrivateFiles.createPrivateDirectory(dir);
  }

  /**
   * Holds the lock of {@code key} until closed (other helper processes and threads wait). Lock
   * files are empty and never removed (see {@link FileMutex}).
   */
  public AutoCloseable lock(String key) throws IOException {
    return FileMutex.lock(dir.resolve(key + ".lock"));
  }

  /** The per-day spending ledger kept beside the entries. */
  DailyLedger ledger() {
    return new DailyLedger(dir);
  }

  /** The entry of {@code key}, or empty. */
  public Optional<Entry> read(String key) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file(key));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    JsonNode o = JSON.readTree(bytes);
    String sealed = o.path("sealed").asText(null);
    return Optional.of(
        new Entry(
            o.path("rail").asText(),
            o.path("request_digest").asText(),
            o.path("state").asText(),
            o.path("payment_hash").asText(null),
            Instant.ofEpochSecond(o.path("created_at").asLong()),
            sealed == null ? null : Base64.getDecoder().decode(sealed)));
  }

  /** Writes the entry of {@code key} durably; {@code answer} (may be null) is sealed. */
  public void write(
      String key,
      String rail,
      String digest,
      String state,
      String paymentHash,
      Instant createdAt,
      byte[] answer)
      throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("rail", rail).put("request_digest", digest).put("state", state);
    if (paymentHash != null) {
      o.put("payment_hash", paymentHash);
    }
    o.put("created_at", createdAt.getEpochSecond());
    if (answer != null) {
      o.put(
          "sealed",
          Base64.getEncoder().encodeToString(Sealed.seal(dataKey, answer, aad(key, rail, digest))));
    }
    PrivateFiles.writeDurably(file(key), JSON.writeValueAsBytes(o));
  }

  /** Removes the entry of {@code key} (a payment the node certainly did not make). */
  public void delete(String key) throws IOException {
    Files.deleteIfExists(file(key));
  }

  /** The sealed answer of an entry, opened. */
  public byte[] unseal(String key, Entry entry) throws HelperException {
    try {
      return Sealed.open(dataKey, entry.sealed(), aad(key, entry.rail(), entry.requestDigest()));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HelperException(
          HelperException.KEY_UNAVAILABLE, "a journal entry cannot be opened with this key store");
    }
  }

  /**
   * Removes resolved entries created before {@code now - RETENTION}; unresolved ones stay. Each is
   * re-read and removed under its key's lock, which is only tried: a key in use is left for the
   * next run. Lock files stay.
   */
  public void prune(Instant now) {
    Instant cutoff = now.minus(RETENTION);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path f : files) {
        try {
          String name = f.getFileName().toString();
          String key = name.substring(0, name.length() - 5);
          if (prunable(read(key), cutoff)) {
            try (FileMutex.Held held = FileMutex.tryLock(dir.resolve(key + ".lock"))) {
              if (held != null && prunable(read(key), cutoff)) {
                Files.deleteIfExists(f);
              }
            }
          }
        } catch (IOException | RuntimeException ignored) {
          // a damaged or concurrently replaced entry is left for the next run
        }
      }
    } catch (IOException ignored) {
      // pruning is housekeeping; serving does not depend on it
    }
  }

  private static boolean prunable(Optional<Entry> e, Instant cutoff) {
    return e.isPresent()
        && !"paying".equals(e.get().state())
        && e.get().createdAt().isBefore(cutoff);
  }

  private Path file(String key) {
    return dir.resolve(key + ".json");
  }

  private static byte[] aad(String key, String rail, String digest) {
    return (key + "\n" + rail + "\n" + digest).getBytes(StandardCharsets.UTF_8);
  }
}
