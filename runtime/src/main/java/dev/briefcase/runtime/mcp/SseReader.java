package dev.briefcase.runtime.mcp;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads a {@code text/event-stream} body event by event (the WHATWG server-sent events format:
 * {@code data}, {@code id}, {@code event}, {@code retry} fields, {@code :} comments, events ended
 * by a blank line). Not thread-safe.
 */
final class SseReader implements Closeable {
  /** One event; {@code data} is the joined data lines, possibly empty (a priming event). */
  record Event(String id, String data) {}

  private final BufferedReader reader;
  private String lastEventId;
  private long retryMillis = -1;

  SseReader(InputStream in) {
    this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
  }

  /** The next event, or null when the stream has ended. */
  Event next() throws IOException {
    StringBuilder data = null;
    String id = null;
    boolean any = false;
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isEmpty()) {
        if (any) {
          return new Event(id, data == null ? "" : data.toString());
        }
        continue;
      }
      if (line.startsWith(":")) {
        continue; // a comment, typically a keep-alive
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "data" -> {
          any = true;
          if (data == null) {
            data = new StringBuilder(value);
          } else {
            data.append('\n').append(value);
          }
        }
        case "id" -> {
          any = true;
          if (value.indexOf('\0') < 0) {
            id = value;
            lastEventId = value;
          }
        }
        case "retry" -> {
          try {
            retryMillis = Long.parseLong(value.strip());
          } catch (NumberFormatException e) {
            // ignored, as the format requires
          }
        }
        default -> any = true; // "event" and unknown fields: the message type is in the JSON
      }
    }
    // the stream ended inside an event: keep what is complete JSON, the caller checks it
    return any && data != null ? new Event(id, data.toString()) : null;
  }

  /** The id of the last event that carried one, or null. */
  String lastEventId() {
    return lastEventId;
  }

  /** The reconnection delay the server asked for with {@code retry:}, or -1. */
  long retryMillis() {
    return retryMillis;
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
