package dev.briefcase.l402;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;

/** The shared L402 vectors (npm macaroon 3.0.4 and bolt11 1.4.1), copied into test resources. */
final class Vectors {
  static final JsonNode L402 = load("/l402/vectors.json");
  static final JsonNode EXCHANGE = load("/l402/exchange.json");

  private Vectors() {}

  static byte[] hex(JsonNode node) {
    return HexFormat.of().parseHex(node.asText());
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static JsonNode load(String resource) {
    try (InputStream in = Vectors.class.getResourceAsStream(resource)) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
