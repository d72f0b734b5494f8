package dev.briefcase.plugins.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.plugins.internal.PluginTrust.Verdict;
import dev.briefcase.receipts.ReceiptLog;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The {@code plugin_lifecycle} receipts: one per change made through the plugin service or seen
 * through another door, and one per refusal ({@code refused_<action>}, with the reason and the
 * trust verdict).
 */
final class LifecycleReceipts {
  private final ReceiptLog receipts;

  LifecycleReceipts(ReceiptLog receipts) {
    this.receipts = receipts;
  }

  void refused(
      String action,
      String[] nameVersion,
      byte[] bytes,
      String actor,
      String why,
      Verdict verdict) {
    refused(action, nameVersion, bytes, actor, why, verdict, null);
  }

  void refused(
      String action,
      String[] nameVersion,
      byte[] bytes,
      String actor,
      String why,
      Verdict verdict,
      String source) {
    write(
        "refused_" + action,
        nameVersion == null ? "unknown" : nameVersion[0],
        nameVersion == null ? "unknown" : nameVersion[1],
        sha256(bytes),
        actor,
        why,
        verdict,
        source);
  }

  void write(
      String action,
      String name,
      String version,
      String sha256,
      String actor,
      String reason,
      Verdict verdict) {
    write(action, name, version, sha256, actor, reason, verdict, null);
  }

  /** {@code source}: where the bytes came from ({@code file:} or {@code https:} URL), if known. */
  void write(
      String action,
      String name,
      String version,
      String sha256,
      String actor,
      String reason,
      Verdict verdict,
      String source) {
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("type", "plugin_lifecycle");
    e.put("action", action);
    e.put("bundle", name == null ? "unknown" : name);
    e.put("version", version);
    if (sha256 != null) {
      e.put("sha256_hex", sha256);
    }
    e.put("actor", actor);
    if (source != null) {
      e.put("source", source);
    }
    if (reason != null) {
      e.put("reason", reason);
    }
    if (verdict != null) {
      e.put("trust", verdict.trust().wire());
      if (verdict.signer() == null) {
        e.putNull("signer");
      } else {
        e.put("signer", verdict.signer());
        e.put("signer_sha256", verdict.fingerprint());
      }
    }
    e.put("ts", Instant.now().toString());
    receipts.append(e);
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
