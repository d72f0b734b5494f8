package dev.briefcase.connector.http.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The checked base URL of a tool file: https, or http to a loopback host only in dev mode; a host,
 * no userinfo, query or fragment; a path without dot segments or percent signs. Tools append their
 * path to {@link #prefix()}.
 */
record BaseUrl(String prefix, String path) {

  static BaseUrl parse(String text, boolean devLoopback) {
    if (text == null || text.isEmpty() || text.length() > 2048) {
      throw invalid("missing or too long");
    }
    // egress sends only printable ASCII (egress_url_invalid): refuse at load, not at every call
    if (!text.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw invalid("must be printable ASCII");
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw invalid("does not parse");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!uri.isAbsolute() || uri.isOpaque() || uri.getHost() == null) {
      throw invalid("not an absolute URL with a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw invalid("carries userinfo");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw invalid("carries a query or fragment");
    }
    boolean loopback = loopbackHost(uri.getHost());
    if (!scheme.equals("https") && !(scheme.equals("http") && devLoopback && loopback)) {
      throw invalid("must be https (http only to a loopback host with dev_loopback)");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.contains("%") || path.contains("\\")) {
      throw invalid("path must not be percent-encoded");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw invalid("path has a dot segment");
      }
    }
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new BaseUrl(scheme + "://" + uri.getRawAuthority() + path, path);
  }

  static boolean loopbackHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.equals("[::1]") || h.matches("127(\\.\\d{1,3}){3}");
  }

  private static ToolsFileException invalid(String why) {
    return new ToolsFileException(ToolsFileException.BASE_URL_INVALID, "base_url " + why);
  }
}
