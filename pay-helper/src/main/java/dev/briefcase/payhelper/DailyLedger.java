package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the helper has signed or paid per UTC day, per asset: {@code spent-<yyyy-mm-dd>.ledger} in
 * the journal directory. Every change is made under one directory-wide lock and written durably
 * before the signature or payment it accounts for is released, so concurrent helper processes
 * cannot together exceed a daily cap. The names cannot clash with journal entries (idempotency keys
 * have no dot).
 */
final class DailyLedger {
  /** Day files older than this are removed; no cap looks further back than one day. */
  static final int KEEP_DAYS = 40;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "spent-";
  private static final String SUFFIX = ".ledger";

  private final Path dir;
  private Runnable beforeWrite = () -> {};

  DailyLedger(Path dir) {
    this.dir = dir;
  }

  /** Runs between reading a total and writing the new one (tests widen the race window there). */
  DailyLedger beforeWrite(Runnable hook) {
    this.beforeWrite = hook;
    return this;
  }

  /** The ledger bucket of an x402 asset. */
  static String x402Bucket(String network, String address) {
    return "x402:" + network + ":" + address.toLowerCase(java.util.Locale.ROOT);
  }

  /** The ledger bucket of L402 payments (millisatoshi). */
  static final String L402_BUCKET = "l402:msat";

  /** The UTC day of {@code instant}. */
  static LocalDate day(Instant instant) {
    return instant.atZone(ZoneOffset.UTC).toLocalDate();
  }

  /**
   * Adds {@code amount} to {@code bucket} on {@code day}, durably, unless the new total would pass
   * {@code cap} (null: no cap, the amount is still recorded); then nothing changes.
   */
  void reserve(LocalDate day, String bucket, BigInteger amount, BigInteger cap)
      throws HelperException, IOException {
    try (FileMutex.Held held = FileMutex.lock(lockFile())) {
      Map<String, BigInteger> spent = read(day);
      BigInteger total = spent.getOrDefault(bucket, BigInteger.ZERO).add(amount);
      if (cap != null && total.compareTo(cap) > 0) {
        throw new HelperException(
            HelperException.LIMIT_EXCEEDED, "the helper's daily limit for this asset is reached");
      }
      spent.put(bucket, total);
      beforeWrite.run();
      write(day, spent);
      prune(day);
    }
  }

  /** Takes {@code amount} off {@code bucket} on {@code day} again (never below zero). */
  void release(LocalDate day, String bucket, BigInteger amount) throws IOException {
    try (FileMutex.Held held = FileMutex.lock(lockFile())) {
      Map<String, BigInteger> spent = read(day);
      BigInteger before = spent.get(bucket);
      if (before == null) {
        return;
      }
      spent.put(bucket, before.subtract(amount).max(BigInteger.ZERO));
      write(day, spent);
    }
  }

  /** The recorded total of {@code bucket} on {@code day}. */
  BigInteger spent(LocalDate day, String bucket) throws IOException {
    return read(day).getOrDefault(bucket, BigInteger.ZERO);
  }

  private Map<String, BigInteger> read(LocalDate day) throws IOException {
    Map<String, BigInteger> out = new TreeMap<>();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file(day));
    } catch (NoSuchFileException e) {
      return out;
    }
    JsonNode root = JSON.readTree(bytes);
    JsonNode spent = root == null ? null : root.get("spent");
    if (spent == null || !spent.isObject() || !day.toString().equals(root.path("day").asText())) {
      // a damaged ledger must not reset the totals: refuse until an operator repairs it
      throw new IOException("the daily ledger " + file(day).getFileName() + " is damaged");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = spent.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String v = e.getValue().asText();
      if (!e.getValue().isTextual() || !v.matches("0|[1-9][0-9]{0,90}")) {
        throw new IOException("the daily ledger " + file(day).getFileName() + " is damaged");
      }
      out.put(e.getKey(), new BigInteger(v));
    }
    return out;
  }

  private void write(LocalDate day, Map<String, BigInteger> spent) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("day", day.toString());
    ObjectNode s = root.putObject("spent");
    spent.forEach((k, v) -> s.put(k, v.toString()));
    PrivateFiles.writeDurably(file(day), JSON.writeValueAsBytes(root));
  }

  /** Removes day files older than {@link #KEEP_DAYS} before {@code today}; held under the lock. */
  private void prune(LocalDate today) {
    LocalDate cutoff = today.minusDays(KEEP_DAYS);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        try {
          LocalDate d =
              LocalDate.parse(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
          if (d.isBefore(cutoff)) {
            Files.deleteIfExists(f);
          }
        } catch (DateTimeParseException | IOException ignored) {
          // not a day file of ours, or already gone
        }
      }
    } catch (IOException ignored) {
      // housekeeping only
    }
  }

  private Path file(LocalDate day) {
    return dir.resolve(PREFIX + day + SUFFIX);
  }

  private Path lockFile() {
    return dir.resolve("spent.ledger.lock");
  }
}
