package dev.briefcase.sandbox.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The host side of the SPEC §11 imports, one instance per pooled guest instance. Each import takes
 * a UTF-8 JSON request ({@code ptr, len}) and answers a UTF-8 JSON document written by the bump
 * allocator; a refused request (egress denied, path outside the prefixes, size) is a {@link
 * Violation} that ends the call. Ordinary failures (file not found, upstream timeout) are answered
 * as {@code {"ok":false,"error":code}}.
 */
final class HostCalls {

  /** The only import module name a guest may use. */
  static final String MODULE = "host";

  /** The only import names a guest may use, all {@code (i32, i32) -> i64}. */
  static final Set<String> NAMES =
      Set.of("http_request", "fs_read", "fs_write", "kv_get", "kv_put", "request_approval");

  private static final Set<String> REFUSALS =
      Set.of(
          EgressException.URL_INVALID,
          EgressException.SCHEME_REFUSED,
          EgressException.USERINFO,
          EgressException.FRAGMENT,
          EgressException.HOST_NOT_ALLOWED,
          EgressException.PATH_NOT_ALLOWED,
          EgressException.ADDRESS_REFUSED,
          EgressException.REDIRECT_REFUSED,
          EgressException.RESPONSE_TOO_LARGE,
          EgressException.REQUEST_INVALID,
          EgressException.POLICY_INVALID);

  private final ObjectMapper json;
  private final Meter meter;
  private final EgressClient egress;
  private final EgressPolicy basePolicy;
  private final Set<String> allowedHosts;
  private final FsGuard fs;
  private final KvStore kv;
  private final long maxResultBytes;
  private GuestMemory memory;

  HostCalls(
      ObjectMapper json,
      Meter meter,
      EgressClient egress,
      EgressPolicy basePolicy,
      Set<String> allowedHosts,
      FsGuard fs,
      KvStore kv,
      long maxResultBytes) {
    this.json = json;
    this.meter = meter;
    this.egress = egress;
    this.basePolicy = basePolicy;
    this.allowedHosts = allowedHosts;
    this.fs = fs;
    this.kv = kv;
    this.maxResultBytes = maxResultBytes;
  }

  void attach(GuestMemory m) {
    this.memory = m;
  }

  /** Runs import {@code name} on the guest's {@code (ptr, len)} and returns the packed result. */
  long call(String name, long ptr, long len) {
    meter.checkClock();
    if (memory == null) {
      // An import called from the start function, before the call's memory is wired.
      throw new Violation("host call before run");
    }
    if ((len & 0xffffffffL) > maxResultBytes) {
      throw new Violation("host request too large");
    }
    byte[] raw = memory.read(ptr, len);
    JsonNode req;
    try {
      req = json.readTree(raw);
    } catch (IOException e) {
      req = null;
    }
    ObjectNode result;
    if (req == null || !req.isObject()) {
      result = error("bad_request");
    } else {
      result =
          switch (name) {
            case "http_request" -> http(req);
            case "fs_read" -> fsRead(req);
            case "fs_write" -> fsWrite(req);
            case "kv_get" -> kvGet(req);
            case "kv_put" -> kvPut(req);
            case "request_approval" -> error("not_available");
            default -> throw new Violation("import not allowed");
          };
    }
    byte[] out;
    try {
      out = json.writeValueAsBytes(result);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode host result", e);
    }
    if (out.length > maxResultBytes) {
      throw new Violation("host result too large");
    }
    meter.checkClock();
    return memory.allocate(out);
  }

  private ObjectNode http(JsonNode req) {
    String url = req.path("url").asText("");
    String host;
    try {
      host = new URI(url).getHost();
    } catch (URISyntaxException e) {
      host = null;
    }
    // SPEC §11: exact, case-insensitive host match before the egress client is even asked.
    if (host == null || !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
      throw new Violation("egress denied");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = req.path("headers").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> h = it.next();
      headers.put(h.getKey(), h.getValue().asText());
    }
    byte[] body = req.path("body").asText("").getBytes(StandardCharsets.UTF_8);
    String method = req.path("method").asText("GET").toUpperCase(Locale.ROOT);
    Duration left = Duration.ofNanos(Math.max(1, meter.deadlineNanos() - System.nanoTime()));
    Duration connect = left.compareTo(EgressPolicy.DEFAULT_CONNECT_TIMEOUT) < 0 ? left : null;
    EgressPolicy policy =
        basePolicy.withTimeouts(
            connect == null ? EgressPolicy.DEFAULT_CONNECT_TIMEOUT : connect, left, left);
    EgressResponse resp;
    try {
      resp = egress.send(new EgressRequest(method, url, headers, body), policy);
    } catch (EgressException e) {
      if (REFUSALS.contains(e.code())) {
        throw new Violation("egress denied: " + e.code());
      }
      return error(e.code());
    }
    ObjectNode r = json.createObjectNode();
    r.put("ok", true);
    r.put("status", resp.status());
    r.put("body", resp.bodyText());
    return r;
  }

  private ObjectNode fsRead(JsonNode req) {
    byte[] data;
    try {
      data = fs.read(req.path("path").asText(""), maxResultBytes);
    } catch (NoSuchFileException e) {
      return error("not_found");
    } catch (IOException e) {
      return error("io_error");
    }
    ObjectNode r = json.createObjectNode();
    r.put("ok", true);
    r.put("bytes", data.length);
    r.put("data_b64", Base64.getUrlEncoder().withoutPadding().encodeToString(data));
    return r;
  }

  private ObjectNode fsWrite(JsonNode req) {
    byte[] data;
    try {
      data = Base64.getUrlDecoder().decode(req.path("data_b64").asText(""));
    } catch (IllegalArgumentException e) {
      return error("bad_request");
    }
    if (data.length > maxResultBytes) {
      throw new Violation("file too large");
    }
    try {
      fs.write(req.path("path").asText(""), data);
    } catch (NoSuchFileException e) {
      return error("not_found");
    } catch (IOException e) {
      return error("io_error");
    }
    ObjectNode r = json.createObjectNode();
    r.put("ok", true);
    r.put("bytes", data.length);
    return r;
  }

  private ObjectNode kvGet(JsonNode req) {
    String key = key(req);
    if (key == null) {
      return error("bad_request");
    }
    String value = kv.get(key);
    ObjectNode r = json.createObjectNode();
    r.put("ok", true);
    r.put("found", value != null);
    if (value != null) {
      try {
        r.set("value", json.readTree(value));
      } catch (IOException e) {
        throw new IllegalStateException("stored kv value is not JSON", e);
      }
    }
    return r;
  }

  private ObjectNode kvPut(JsonNode req) {
    String key = key(req);
    if (key == null || !req.has("value")) {
      return error("bad_request");
    }
    kv.put(key, req.get("value").toString());
    ObjectNode r = json.createObjectNode();
    r.put("ok", true);
    return r;
  }

  private static String key(JsonNode req) {
    JsonNode k = req.get("key");
    if (k == null || !k.isTextual() || k.asText().isEmpty() || k.asText().length() > 256) {
      return null;
    }
    return k.asText();
  }

  private ObjectNode error(String code) {
    ObjectNode r = json.createObjectNode();
    r.put("ok", false);
    r.put("error", code);
    return r;
  }

  /** The host names of a manifest, lower-case, for the exact pre-check. */
  static Set<String> lowerCase(List<String> hosts) {
    return Set.copyOf(hosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).toList());
  }
}
