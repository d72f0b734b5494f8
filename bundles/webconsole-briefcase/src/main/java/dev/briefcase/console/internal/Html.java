package dev.briefcase.console.internal;

import org.owasp.encoder.Encode;

/**
 * Output encoding for every value the pages print. Everything that comes from the kernel (tool ids,
 * receipt fields, bundle names, approval summaries) is untrusted text: an agent chooses tool ids
 * and arguments, a plugin chooses its own name. The OWASP encoder does the escaping.
 */
final class Html {
  private Html() {}

  /** Text between tags. */
  static String text(Object value) {
    // '$' too: the web console's response filter expands ${...} in HTML output
    return value == null ? "" : Encode.forHtmlContent(String.valueOf(value)).replace("$", "&#36;");
  }

  /** A double-quoted attribute value. */
  static String attr(Object value) {
    return value == null
        ? ""
        : Encode.forHtmlAttribute(String.valueOf(value)).replace("$", "&#36;");
  }

  /** One component of a URL inside an attribute. */
  static String uri(Object value) {
    return value == null ? "" : Encode.forUriComponent(String.valueOf(value));
  }
}
