package dev.briefcase.x402;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/** The captured x402 vectors (copied from the shared vector set). */
final class Vectors {
  static final ObjectMapper JSON = new ObjectMapper();

  private Vectors() {}

  static JsonNode load(String name) throws IOException {
    try (InputStream in = Vectors.class.getResourceAsStream("/x402/" + name)) {
      return JSON.readTree(in);
    }
  }
}
