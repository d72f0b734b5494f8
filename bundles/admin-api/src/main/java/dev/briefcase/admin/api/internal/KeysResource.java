package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.text;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.signer.KeyAlgorithm;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * {@code /v1/keys}: the list, a role's public JWK, and {@code POST
 * /v1/keys/{role}[/rotate|/delete]} to create, rotate or delete a role's key; the key directory
 * receipts every change.
 */
final class KeysResource implements Router.Resource {
  private final Backends backends;

  KeysResource(Backends backends) {
    this.backends = backends;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      requireMethod(ex, "GET");
      ArrayNode arr = Views.JSON.createArrayNode();
      for (KeyInfo k : need(backends.keys(), "key directory").list()) {
        arr.add(Views.key(k));
      }
      ex.send(200, wrap("keys", arr));
      return;
    }
    if (p.length == 4 && p[3].equals("public")) {
      requireMethod(ex, "GET");
      publicKey(ex, p[2]);
      return;
    }
    if (p.length == 3 || (p.length == 4 && (p[3].equals("rotate") || p[3].equals("delete")))) {
      requireMethod(ex, "POST");
      change(ex, p[2], p.length == 3 ? "create" : p[3]);
      return;
    }
    throw HttpError.notFound();
  }

  /**
   * Create and rotate take an optional {@code {"algorithm":"ed25519"|"p256","backend":"<signer
   * id>"}}. Bad input is a 400 and changes nothing.
   */
  private void change(Exchange ex, String rawRole, String action) throws IOException, HttpError {
    KeyDirectory directory = need(backends.keys(), "key directory");
    String role = URLDecoder.decode(rawRole, StandardCharsets.UTF_8);
    KeyAlgorithm algorithm = null;
    String backend = null;
    if (action.equals("delete")) {
      Requests.drain(ex);
    } else {
      JsonNode body = optionalBody(ex);
      if (body != null && !body.isNull()) {
        if (!body.isObject()) {
          throw HttpError.badRequest("invalid_request", "body must be a JSON object");
        }
        Iterator<String> names = body.fieldNames();
        while (names.hasNext()) {
          String n = names.next();
          if (!n.equals("algorithm") && !n.equals("backend")) {
            throw HttpError.badRequest("invalid_request", "unknown field " + n);
          }
        }
        algorithm = algorithm(text(body, "algorithm", 16));
        backend = text(body, "backend", 64);
      }
    }
    switch (action) {
      case "create" ->
          ex.send(200, Views.key(directory.create(role, algorithm, backend, "admin-api")));
      case "rotate" ->
          ex.send(200, Views.key(directory.rotate(role, algorithm, backend, "admin-api")));
      default -> {
        directory.delete(role, "admin-api");
        ObjectNode o = Views.JSON.createObjectNode();
        o.put("role", role);
        o.put("deleted", true);
        ex.send(200, o);
      }
    }
  }

  private static JsonNode optionalBody(Exchange ex) throws IOException, HttpError {
    byte[] raw = Requests.body(ex);
    if (raw.length == 0) {
      return null;
    }
    try {
      return Requests.STRICT.readTree(raw);
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
    }
  }

  private static KeyAlgorithm algorithm(String name) throws HttpError {
    if (name == null) {
      return null;
    }
    return switch (name) {
      case "ed25519" -> KeyAlgorithm.ED25519;
      case "p256" -> KeyAlgorithm.P256;
      default ->
          throw HttpError.badRequest(
              KeyException.INVALID_ALGORITHM, "algorithm must be ed25519 or p256");
    };
  }

  /**
   * {@code GET /v1/keys/{role}/public}: the role's public JWK for verifiers (e.g. of receipt
   * checkpoints), built from an allow-list of public members so no private member can ever pass.
   */
  private void publicKey(Exchange ex, String rawRole) throws IOException, HttpError {
    KeyDirectory directory = need(backends.keys(), "key directory");
    String role = URLDecoder.decode(rawRole, StandardCharsets.UTF_8);
    KeyInfo k =
        directory
            .get(role)
            .orElseThrow(
                () -> new KeyException(KeyException.KEY_NOT_FOUND, "role " + role + " has no key"));
    JsonNode jwk;
    try {
      jwk = Views.JSON.readTree(k.publicJwk());
    } catch (JsonProcessingException e) {
      throw new HttpError(KeyException.BACKEND_UNAVAILABLE, "the public key is unreadable");
    }
    ObjectNode o = Views.JSON.createObjectNode();
    for (String member : new String[] {"kty", "crv", "x", "y"}) {
      if (jwk.path(member).isTextual()) {
        o.put(member, jwk.get(member).textValue());
      }
    }
    o.put("kid", k.thumbprint());
    o.put("alg", k.handle().algorithm() == KeyAlgorithm.ED25519 ? "EdDSA" : "ES256");
    o.put("use", "sig");
    ex.sendRaw(200, "application/jwk+json", Views.JSON.writeValueAsBytes(o));
  }
}
