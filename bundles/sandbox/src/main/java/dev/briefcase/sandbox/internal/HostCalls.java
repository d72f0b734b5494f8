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
  private final KvStore kv;
  private GuestMemory memory;
  private CallRules rules;
  private byte[] input;
  private String approvalId;

  HostCalls(ObjectMapper json, Meter meter, EgressClient egress, KvStore kv) {
    this.json = json;
    this.meter = meter;
    this.egress = egress;
    this.kv = kv;
  }

  /**
   * Wires one call: its memory, the rules of the manifest in force, the validated input (which must
   * stay unchanged in guest memory) and the approval consumed for it, if any. {@code null} memory
   * detaches.
   */
  void attach(GuestMemory m, CallRules r, byte[] in, String approval) {
    this.memory = m;
    this.rules = r;
    this.input = in;
    this.approvalId = approval;
  }

  /**
   * SPEC §11 args binding: the validated arguments written at {@code 0x1000} are read-only for the
   * guest. Checked before every host call and on return, so nothing the host does for the call can
   * derive from arguments other than the validated ones.
   */
  void checkArgs() {
    if (memory != null && input != null && !memory.matches(GuestMemory.INPUT_BASE, input)) {
      throw new Violation("args mismatch");
    }
  }

  /** Runs import {@code name} on the guest's {@code (ptr, len)} and returns the packed result. */
  long call(String name, long ptr, long len) {
    meter.checkClock();
    if (memory == null) {
      // An import called from the start function, before the call's memory is wired.
      throw new Violation("host call before run");
    }
    checkArgs();
    long maxResultBytes = rules.maxResultBytes;
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
            case "request_approval" -> approval(req);
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
    if (host == null || !rules.allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
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
        rules.policy.withTimeouts(
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
      data = rules.fs.read(req.path("path").asText(""), rules.maxResultBytes);
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
    if (data.length > rules.maxResultBytes) {
      throw new Violation("file too large");
    }
    try {
      rules.fs.write(req.path("path").asText(""), data);
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

  /**
   * {@code request_approval({summary})}: answers {@code {ok, approved:true}} only when the kernel
   * consumed a human approval for exactly this call; otherwise the call ends and the kernel asks a
   * human (the guest never sees a "no", it is simply not run past this point unapproved).
   */
  private ObjectNode approval(JsonNode req) {
    JsonNode summary = req.get("summary");
    if (summary == null || !summary.isTextual() || summary.asText().isBlank()) {
      return error("bad_request");
    }
    if (approvalId == null) {
      throw new ApprovalNeeded(summary.asText());
    }
    ObjectNode r = json.createObjectNode();
    r.put("ok", true);
    r.put("approved", true);
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
