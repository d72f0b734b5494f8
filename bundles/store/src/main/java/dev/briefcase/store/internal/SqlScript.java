package dev.briefcase.store.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a migration script into statements on {@code ;}. Semicolons inside string literals ({@code
 * '...'}), quoted identifiers ({@code "..."}, {@code `...`}, {@code [...]}) and comments (line and
 * block comments) do not split. Trigger bodies ({@code BEGIN ...; END}) are not understood: a step
 * must not create triggers.
 */
final class SqlScript {

  private SqlScript() {}

  static List<String> split(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int n = script.length();
    int i = 0;
    while (i < n) {
      char c = script.charAt(i);
      if (c == '\'' || c == '"' || c == '`' || c == '[') {
        char close = c == '[' ? ']' : c;
        int end = i + 1;
        while (end < n) {
          if (script.charAt(end) == close) {
            // a doubled quote is an escaped quote inside the literal
            if (close != ']' && end + 1 < n && script.charAt(end + 1) == close) {
              end += 2;
              continue;
            }
            break;
          }
          end++;
        }
        if (end >= n) {
          throw new IllegalArgumentException("unterminated quoted text in migration step");
        }
        current.append(script, i, end + 1);
        i = end + 1;
      } else if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        int end = script.indexOf('\n', i);
        i = end < 0 ? n : end + 1;
        current.append(' ');
      } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated comment in migration step");
        }
        i = end + 2;
        current.append(' ');
      } else if (c == ';') {
        add(statements, current);
        i++;
      } else {
        current.append(c);
        i++;
      }
    }
    add(statements, current);
    return statements;
  }

  private static void add(List<String> statements, StringBuilder current) {
    String statement = current.toString().strip();
    if (!statement.isEmpty()) {
      statements.add(statement);
    }
    current.setLength(0);
  }
}
