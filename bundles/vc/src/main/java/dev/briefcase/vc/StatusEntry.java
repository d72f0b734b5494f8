package dev.briefcase.vc;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One {@code BitstringStatusListEntry} of a credential's {@code credentialStatus} (W3C Bitstring
 * Status List v1.0, SPEC §8.4).
 *
 * @param id the entry's {@code id}, or null
 * @param statusPurpose e.g. {@code revocation} or {@code suspension}
 * @param statusListIndex the entry's index in the list
 * @param statusListCredential URL of the status list credential: https, or http to a loopback host
 * @param statusSize bits per entry, 1..64
 */
public record StatusEntry(
    String id,
    String statusPurpose,
    long statusListIndex,
    String statusListCredential,
    int statusSize) {
  /** The entry type. */
  public static final String TYPE = "BitstringStatusListEntry";

  /** The purpose that marks a credential revoked. */
  public static final String REVOCATION = "revocation";

  /** The purpose that marks a credential suspended. */
  public static final String SUSPENSION = "suspension";

  private static final Pattern INDEX = Pattern.compile("0|[1-9][0-9]{0,9}");
  private static final Pattern PURPOSE = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");
  private static final int MAX_ENTRIES = 8;
  private static final int MAX_URL = 2048;

  /**
   * Validates an entry; use {@link #of} for the checked error.
   *
   * @throws IllegalArgumentException with an {@code invalid_credential_status} message
   */
  public StatusEntry {
    String problem = problem(statusPurpose, statusListIndex, statusListCredential, statusSize);
    if (problem != null) {
      throw new IllegalArgumentException("invalid_credential_status: " + problem);
    }
  }

  /**
   * Validates and builds an entry.
   *
   * @throws VcException {@code invalid_credential_status}
   */
  public static StatusEntry of(
      String id,
      String statusPurpose,
      long statusListIndex,
      String statusListCredential,
      int statusSize)
      throws VcException {
    String problem = problem(statusPurpose, statusListIndex, statusListCredential, statusSize);
    if (problem != null) {
      throw bad(problem);
    }
    return new StatusEntry(id, statusPurpose, statusListIndex, statusListCredential, statusSize);
  }

  private static String problem(String purpose, long index, String url, int size) {
    if (purpose == null || !PURPOSE.matcher(purpose).matches()) {
      return "statusPurpose is missing or malformed";
    }
    if (index < 0 || index > Integer.MAX_VALUE) {
      return "statusListIndex out of range";
    }
    if (size < 1 || size > 64) {
      return "statusSize outside 1..64";
    }
    return urlProblem(url);
  }

  /** This entry as its JSON members (type first, statusSize only when not 1). */
  public java.util.Map<String, Object> toJson() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    if (id != null) {
      m.put("id", id);
    }
    m.put("type", TYPE);
    m.put("statusPurpose", statusPurpose);
    m.put("statusListIndex", Long.toString(statusListIndex));
    m.put("statusListCredential", statusListCredential);
    if (statusSize != 1) {
      m.put("statusSize", statusSize);
    }
    return m;
  }

  /**
   * The entries of a JWT payload's {@code credentialStatus}: top level, else under {@code vc}; an
   * object is one entry, an array gives its entries in order (the first one is what SPEC §8.4
   * reads). An empty list when there is no {@code credentialStatus}.
   *
   * @throws VcException {@code invalid_credential_status} when any entry is malformed, of another
   *     type, or there are more than 8
   */
  public static List<StatusEntry> fromPayload(JsonNode payload) throws VcException {
    JsonNode status = payload.get("credentialStatus");
    if (status == null || status.isNull()) {
      JsonNode vc = payload.get("vc");
      status = vc != null && vc.isObject() ? vc.get("credentialStatus") : null;
    }
    List<StatusEntry> entries = new ArrayList<>();
    if (status == null || status.isNull()) {
      return entries;
    }
    if (status.isObject()) {
      entries.add(fromJson(status));
    } else if (status.isArray() && !status.isEmpty() && status.size() <= MAX_ENTRIES) {
      for (JsonNode entry : status) {
        entries.add(fromJson(entry));
      }
    } else {
      throw bad("credentialStatus is neither an entry nor a short list of entries");
    }
    return entries;
  }

  /**
   * One entry from its JSON object.
   *
   * @throws VcException {@code invalid_credential_status}
   */
  public static StatusEntry fromJson(JsonNode entry) throws VcException {
    if (entry == null || !entry.isObject()) {
      throw bad("a status entry is an object");
    }
    JsonNode type = entry.get("type");
    if (type == null || !type.isTextual() || !TYPE.equals(type.asText())) {
      throw bad("status entry type is not " + TYPE);
    }
    JsonNode id = entry.get("id");
    if (id != null && !id.isTextual()) {
      throw bad("status entry id is not a string");
    }
    JsonNode index = entry.get("statusListIndex");
    if (index == null || !index.isTextual() || !INDEX.matcher(index.asText()).matches()) {
      throw bad("statusListIndex is not a decimal string");
    }
    JsonNode size = entry.get("statusSize");
    int statusSize = 1;
    if (size != null) {
      if (!size.isIntegralNumber() || !size.canConvertToInt()) {
        throw bad("statusSize is not an integer");
      }
      statusSize = size.intValue();
    }
    JsonNode purpose = entry.get("statusPurpose");
    JsonNode url = entry.get("statusListCredential");
    return of(
        id == null ? null : id.asText(),
        purpose != null && purpose.isTextual() ? purpose.asText() : null,
        Long.parseLong(index.asText()),
        url != null && url.isTextual() ? url.asText() : null,
        statusSize);
  }

  /** Whether the host is a loopback name: localhost, 127.0.0.0/8 as a dotted quad, or ::1. */
  static boolean isLoopbackHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost") || h.equals("[::1]")) {
      return true;
    }
    String[] parts = h.split("\\.", -1);
    if (parts.length != 4 || !parts[0].equals("127")) {
      return false;
    }
    for (String p : parts) {
      if (!p.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  private static String urlProblem(String url) {
    if (url == null || url.isEmpty() || url.length() > MAX_URL) {
      return "statusListCredential is missing or too long";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "statusListCredential is not a URL";
    }
    String scheme = uri.getScheme();
    String host = uri.getHost();
    if (!uri.isAbsolute() || uri.isOpaque() || host == null || host.isEmpty()) {
      return "statusListCredential is not an absolute http(s) URL";
    }
    if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      return "statusListCredential has userinfo or a fragment";
    }
    if ("https".equals(scheme)) {
      return null;
    }
    if (!"http".equals(scheme) || !isLoopbackHost(host)) {
      return "statusListCredential is neither https nor loopback http";
    }
    return null;
  }

  private static VcException bad(String message) {
    return new VcException("invalid_credential_status", message);
  }
}
