package dev.briefcase.signer.software.internal;

import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.PublicJwks;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The list of software keys kept in the secret store next to the keys: one line per key, {@code
 * <keyId> <ALGORITHM> <public key b64url> <label b64url>}. Public keys live here because the JDK
 * cannot derive them from a PKCS#8 private key.
 */
final class KeyIndex {
  private static final Pattern KEY_ID = Pattern.compile("[0-9a-f-]{36}");
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** One key: its id, type, public key (raw Ed25519 or SEC1 uncompressed P-256) and label. */
  record Entry(String keyId, KeyAlgorithm algorithm, byte[] publicKey, String label) {
    @Override
    public String toString() {
      return "Entry[" + keyId + ", " + algorithm + "]";
    }
  }

  private KeyIndex() {}

  static boolean validKeyId(String keyId) {
    return keyId != null && KEY_ID.matcher(keyId).matches();
  }

  static byte[] encode(Map<String, Entry> entries) {
    StringBuilder sb = new StringBuilder();
    for (Entry e : entries.values()) {
      sb.append(e.keyId())
          .append(' ')
          .append(e.algorithm().name())
          .append(' ')
          .append(B64.encodeToString(e.publicKey()))
          .append(' ')
          .append(B64.encodeToString(e.label().getBytes(StandardCharsets.UTF_8)))
          .append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Parses an index; a malformed line fails the whole index (fail closed, never drop keys). */
  static Map<String, Entry> decode(byte[] bytes) {
    Map<String, Entry> out = new LinkedHashMap<>();
    String text = new String(bytes, StandardCharsets.UTF_8);
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split(" ", -1);
      if (parts.length != 4 || !validKeyId(parts[0])) {
        throw new IllegalArgumentException("malformed software key index");
      }
      KeyAlgorithm alg = KeyAlgorithm.valueOf(parts[1]);
      byte[] pub = B64D.decode(parts[2]);
      String label = new String(B64D.decode(parts[3]), StandardCharsets.UTF_8);
      // validates the public key shape
      PublicJwks.members(alg, pub);
      out.put(parts[0], new Entry(parts[0], alg, pub, label));
    }
    return out;
  }
}
