package dev.briefcase.connector.provider.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.signer.PublicJwks;
import java.io.IOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key binding of a minted capability: the RFC 7638 thumbprint of the key in a DPoP proof's
 * {@code jwk} header, and the {@code cnf.jkt} of a JWT's payload. Decoding only: no signature is
 * checked (the provider's key is not known to the agent), so this answers "which key does the token
 * claim to be bound to", never "is the token genuine".
 */
final class MintBinding {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, List<String>> REQUIRED =
      Map.of(
          "EC", List.of("crv", "kty", "x", "y"),
          "OKP", List.of("crv", "kty", "x"),
          "RSA", List.of("e", "kty", "n"));

  private MintBinding() {}

  /** The thumbprint of the {@code jwk} in the protected header of a DPoP proof, or null. */
  static String proofJkt(String proof) {
    JsonNode header = part(proof, 0);
    JsonNode jwk = header == null ? null : header.get("jwk");
    if (jwk == null || !jwk.isObject()) {
      return null;
    }
    JsonNode kty = jwk.get("kty");
    List<String> names = kty == null || !kty.isTextual() ? null : REQUIRED.get(kty.asText());
    if (names == null) {
      return null;
    }
    Map<String, String> members = new LinkedHashMap<>();
    for (String name : names) {
      JsonNode v = jwk.get(name);
      if (v == null || !v.isTextual() || v.asText().isEmpty()) {
        return null;
      }
      members.put(name, v.asText());
    }
    return PublicJwks.thumbprint(members);
  }

  /** The {@code cnf.jkt} of a compact JWT's payload, or null when it has none. */
  static String tokenJkt(String jwt) {
    JsonNode payload = part(jwt, 1);
    JsonNode cnf = payload == null ? null : payload.get("cnf");
    JsonNode jkt = cnf == null || !cnf.isObject() ? null : cnf.get("jkt");
    return jkt != null && jkt.isTextual() ? jkt.asText() : null;
  }

  /** Part {@code index} of a three-part compact JWS, as a JSON object, or null. */
  private static JsonNode part(String compact, int index) {
    if (compact == null) {
      return null;
    }
    String[] parts = compact.split("\\.", -1);
    if (parts.length != 3) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(parts[index]));
      return node != null && node.isObject() ? node : null;
    } catch (IllegalArgumentException | IOException e) {
      return null;
    }
  }
}
