package dev.briefcase.runtime.mcp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Splits standard input into lines of at most {@code maxBytes} bytes without ever holding more than
 * that: a longer line is read to its end and dropped, so one oversized message cannot exhaust the
 * heap or desynchronise the stream. Not thread-safe: one reader thread owns it.
 */
final class LineReader {
  /** Returned by {@link #next()} in place of a line longer than the limit. */
  static final byte[] TOO_LONG = new byte[0];

  private final InputStream in;
  private final int maxBytes;
  private final byte[] buf = new byte[64 * 1024];
  private int pos;
  private int limit;
  private boolean eof;

  LineReader(InputStream in, int maxBytes) {
    this.in = in;
    this.maxBytes = maxBytes;
  }

  /**
   * The next line without its {@code \n} (and without a trailing {@code \r}), {@link #TOO_LONG}, or
   * null at the end of the input. A last line without a newline still counts as a line.
   */
  byte[] next() throws IOException {
    if (eof) {
      return null;
    }
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    long size = 0;
    boolean tooLong = false;
    boolean any = false;
    while (true) {
      if (pos == limit) {
        int n = in.read(buf);
        if (n < 0) {
          eof = true;
          if (!any) {
            return null;
          }
          return finish(line, tooLong);
        }
        pos = 0;
        limit = n;
        continue;
      }
      any = true;
      int newline = -1;
      for (int i = pos; i < limit; i++) {
        if (buf[i] == '\n') {
          newline = i;
          break;
        }
      }
      int end = newline >= 0 ? newline : limit;
      int len = end - pos;
      if (!tooLong) {
        if (size + len > maxBytes) {
          tooLong = true;
          line = new ByteArrayOutputStream(); // let the partial line go
        } else {
          line.write(buf, pos, len);
        }
      }
      size += len;
      pos = newline >= 0 ? newline + 1 : limit;
      if (newline >= 0) {
        return finish(line, tooLong);
      }
    }
  }

  private static byte[] finish(ByteArrayOutputStream line, boolean tooLong) {
    if (tooLong) {
      return TOO_LONG;
    }
    byte[] bytes = line.toByteArray();
    if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
      byte[] trimmed = new byte[bytes.length - 1];
      System.arraycopy(bytes, 0, trimmed, 0, trimmed.length);
      return trimmed;
    }
    return bytes;
  }
}
