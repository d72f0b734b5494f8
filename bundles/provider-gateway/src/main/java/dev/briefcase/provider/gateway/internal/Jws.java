package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Compact EdDSA JWS made and checked with the provider key. Verification: three parts, header
 * {@code alg: EdDSA} with the expected {@code typ} and, when present, the current {@code kid}, an
 * Ed25519 signature by the current key (BouncyCastle), and a JSON object payload. Strict JSON (no
 * duplicate members). Anything else is {@code invalid_token}.
 */
final class Jws {
  static final int MAX_TOKEN_CHARS = 8192;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Jws() {}

  static String sign(TokenKey key, String typ, ObjectNode claims) {
    TokenKey.PublicKey pub = key.current();
    ObjectNode header = Json.newObject().put("alg", "EdDSA").put("typ", typ).put("kid", pub.kid());
    String input =
        B64.encodeToString(Json.bytes(header)) + "." + B64.encodeToString(Json.bytes(claims));
    byte[] sig = key.sign(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + B64.encodeToString(sig);
  }

  /** The verified claims, or {@code invalid_token} (401). */
  static ObjectNode verify(TokenKey key, String token, String expectedTyp) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw invalid("token missing or too long");
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw invalid("not a compact JWS");
    }
    JsonNode header = decodeJson(parts[0]);
    if (!"EdDSA".equals(text(header, "alg"))) {
      throw invalid("alg is not EdDSA");
    }
    if (!expectedTyp.equals(text(header, "typ"))) {
      throw invalid("unexpected typ");
    }
    if (header.has("crit") || header.has("jwk") || header.has("jku") || header.has("x5u")) {
      throw invalid("header members not accepted");
    }
    TokenKey.PublicKey pub = key.current();
    if (header.has("kid") && !pub.kid().equals(text(header, "kid"))) {
      throw invalid("unknown kid");
    }
    byte[] sig = decode(parts[2]);
    if (sig.length != 64) {
      throw invalid("bad signature size");
    }
    byte[] input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, new Ed25519PublicKeyParameters(pub.raw(), 0));
    verifier.update(input, 0, input.length);
    if (!verifier.verifySignature(sig)) {
      throw invalid("bad signature");
    }
    JsonNode claims = decodeJson(parts[1]);
    if (!(claims instanceof ObjectNode object)) {
      throw invalid("claims are not an object");
    }
    return object;
  }

  /** The claims of a JWS without checking anything (only to read what a check then verifies). */
  static JsonNode decodeJson(String part) {
    try {
      return Json.MAPPER.readTree(decode(part));
    } catch (IOException e) {
      throw invalid("not JSON");
    }
  }

  private static byte[] decode(String part) {
    try {
      if (part.indexOf('=') >= 0) {
        throw invalid("padded base64url");
      }
      return Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw invalid("not base64url");
    }
  }

  static String text(JsonNode node, String name) {
    JsonNode v = node.get(name);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  static ProviderError invalid(String reason) {
    return new ProviderError(401, "invalid_token", reason);
  }
}
