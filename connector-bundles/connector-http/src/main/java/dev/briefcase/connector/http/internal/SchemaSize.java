package dev.briefcase.connector.http.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * The serialized size of a tool's input schema, counted while it is written and never built whole.
 * An imported schema shares its inlined nodes, so a small document can describe a schema far larger
 * than itself; tools/list would serialize every copy.
 */
final class SchemaSize {
  /** The largest input schema a tool may have, in bytes of compact JSON. */
  static final long MAX_INPUT_SCHEMA_BYTES = 1L << 20;

  private SchemaSize() {}

  /**
   * True if the schema serializes to at most {@code cap} bytes. Writing stops at the first byte
   * over the cap.
   */
  static boolean within(Map<String, Object> schema, long cap) {
    CappedCount out = new CappedCount(cap);
    try {
      ToolsFile.JSON.writeValue(out, schema);
      return true;
    } catch (IOException e) {
      if (out.over) {
        return false;
      }
      throw new IllegalArgumentException("input schema does not serialize", e);
    }
  }

  /** Discards what it is given, counting it, and fails once the count passes the cap. */
  private static final class CappedCount extends OutputStream {
    private final long cap;
    private long count;
    private boolean over;

    CappedCount(long cap) {
      this.cap = cap;
    }

    @Override
    public void write(int b) throws IOException {
      add(1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      add(len);
    }

    private void add(int len) throws IOException {
      count += len;
      if (count > cap) {
        over = true;
        throw new IOException("over the cap");
      }
    }
  }
}
