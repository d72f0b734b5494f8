package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import org.osgi.service.component.ComponentServiceObjects;

/**
 * {@code /v1/secrets}: the ids, and {@code POST /v1/secrets/{id}[/delete]} to store or delete a
 * secret. Values only ever go in: no route returns one, and the receipt records the id and the
 * action, never the value.
 */
final class SecretsResource implements Router.Resource {
  private final Backends backends;

  SecretsResource(Backends backends) {
    this.backends = backends;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      requireMethod(ex, "GET");
      ArrayNode arr = Views.JSON.createArrayNode();
      withStore(SecretStore::ids).forEach(arr::add);
      ex.send(200, wrap("ids", arr));
      return;
    }
    if (p.length == 3 || (p.length == 4 && p[3].equals("delete"))) {
      requireMethod(ex, "POST");
      write(ex, p[2], p.length == 4);
      return;
    }
    throw HttpError.notFound();
  }

  private void write(Exchange ex, String id, boolean delete) throws IOException, HttpError {
    ReceiptLog log = need(backends.receipts(), "receipts");
    byte[] value = null;
    if (!delete) {
      JsonNode body = Requests.json(ex);
      JsonNode b64 = body == null ? null : body.get("value_b64");
      if (b64 == null || !b64.isTextual()) {
        throw HttpError.badRequest("invalid_secret_value", "value_b64 must be a base64 string");
      }
      try {
        value = Base64.getDecoder().decode(b64.textValue());
      } catch (IllegalArgumentException e) {
        throw HttpError.badRequest("invalid_secret_value", "value_b64 is not base64");
      }
    } else {
      Requests.drain(ex);
    }
    byte[] v = value;
    boolean existed =
        withStore(
            store -> {
              if (delete) {
                return store.delete(id);
              }
              store.put(id, Sensitive.of(v));
              return true;
            });
    ObjectNode event = Views.JSON.createObjectNode();
    event.put("type", "secret_update");
    event.put("secret_id", id);
    event.put("action", delete ? "delete" : "put");
    event.put("ts", Instant.now().toString());
    log.append(event);
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("id", id);
    o.put(delete ? "deleted" : "stored", existed);
    ex.send(200, o);
  }

  private interface SecretWork<T> {
    T run(SecretStore store);
  }

  /**
   * Runs work on the secret store looked up for this request (service objects, so the store, whose
   * key derivation is slow on purpose, is activated on first use).
   */
  private <T> T withStore(SecretWork<T> work) throws HttpError {
    ComponentServiceObjects<SecretStore> objects = need(backends.secrets(), "secret store");
    SecretStore store = objects.getService();
    if (store == null) {
      throw HttpError.unavailable("secret store");
    }
    try {
      return work.run(store);
    } finally {
      objects.ungetService(store);
    }
  }
}
