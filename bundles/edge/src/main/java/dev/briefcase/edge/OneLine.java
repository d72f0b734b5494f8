package dev.briefcase.edge;

/**
 * Text from elsewhere (an exception message, a response body, a tool's error) made safe for one
 * line of a log, an error message or a receipt: it can neither start a forged line nor hide text
 * from the reader.
 *
 * <p>Every run of white space that holds a control character (C0, DEL, C1: CR, LF, TAB, ESC …), a
 * line or paragraph separator (U+2028, U+2029), a format character (bidi overrides and isolates,
 * zero-width characters) or any white space but U+0020 becomes one space; runs of plain spaces are
 * kept. The result is stripped of leading and trailing white space. An empty result (or {@code
 * null}) is replaced by the caller's fallback. A result longer than the limit is cut, never between
 * the halves of a surrogate pair, and ends with the caller's cut mark (counted in the limit).
 * Stateless and thread-safe.
 */
public final class OneLine {

  /** The limit that never cuts. */
  public static final int NO_LIMIT = Integer.MAX_VALUE;

  private OneLine() {}

  /** {@code text} on one line, not cut; {@code null} becomes the empty string. */
  public static String of(String text) {
    return of(text, NO_LIMIT, "", "");
  }

  /** {@code text} on one line, at most {@code max} characters; {@code null} becomes empty. */
  public static String of(String text, int max) {
    return of(text, max, "", "");
  }

  /**
   * {@code text} on one line, at most {@code max} characters.
   *
   * @param ifEmpty what {@code null}, empty or all-blank text becomes (returned as given)
   */
  public static String of(String text, int max, String ifEmpty) {
    return of(text, max, ifEmpty, "");
  }

  /**
   * {@code text} on one line, at most {@code max} characters including {@code cutMark}, which ends
   * a cut result (for example {@code "..."}).
   *
   * @param ifEmpty what {@code null}, empty or all-blank text becomes (returned as given)
   * @throws IllegalArgumentException when {@code max} is shorter than {@code cutMark}
   */
  public static String of(String text, int max, String ifEmpty, String cutMark) {
    if (max < cutMark.length() || max < 1) {
      throw new IllegalArgumentException("a limit of " + max + " leaves no room for the text");
    }
    String line = text == null ? "" : flatten(text).strip();
    if (line.isEmpty()) {
      return ifEmpty;
    }
    if (line.length() <= max) {
      return line;
    }
    return cut(line, max - cutMark.length()).stripTrailing() + cutMark;
  }

  /**
   * The first line of {@code text} (up to its first CR, LF, NEL, U+2028 or U+2029), made one line
   * as by {@link #of(String)}; {@code null} or an empty first line becomes {@code ifEmpty}.
   */
  public static String firstLine(String text, String ifEmpty) {
    if (text == null) {
      return ifEmpty;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
        return of(text.substring(0, i), NO_LIMIT, ifEmpty, "");
      }
    }
    return of(text, NO_LIMIT, ifEmpty, "");
  }

  /** The first line of the throwable's message, or its simple class name when it has none. */
  public static String firstLine(Throwable t) {
    return firstLine(t.getMessage(), t.getClass().getSimpleName());
  }

  private static String flatten(String text) {
    StringBuilder out = null;
    int i = 0;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      if (!blank(cp)) {
        if (out != null) {
          out.appendCodePoint(cp);
        }
        i += Character.charCount(cp);
        continue;
      }
      // a run of white space and invisible characters: kept only if it is plain spaces
      int end = i;
      boolean plain = true;
      while (end < text.length() && blank(text.codePointAt(end))) {
        int c = text.codePointAt(end);
        plain &= c == ' ';
        end += Character.charCount(c);
      }
      if (!plain && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out != null) {
        out.append(plain ? text.substring(i, end) : " ");
      }
      i = end;
    }
    return out == null ? text : out.toString();
  }

  private static boolean blank(int cp) {
    int type = Character.getType(cp);
    return type == Character.CONTROL
        || type == Character.FORMAT
        || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.SPACE_SEPARATOR
        || Character.isWhitespace(cp);
  }

  private static String cut(String s, int end) {
    if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }
}
