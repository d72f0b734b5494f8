package dev.briefcase.bench.mcp;

import java.io.IOException;

/**
 * What the server child JVMs share with the driver, free of any library so the floor server loads
 * nothing else: the stdout line that announces the URL and the wait for the driver to go away.
 */
final class ChildServer {
  /** The line prefix the driver waits for: {@code MCP_URL http://127.0.0.1:PORT/mcp}. */
  static final String URL_PREFIX = "MCP_URL ";

  private ChildServer() {}

  /** Blocks until stdin reaches end of file: the driver closed it, exited or was killed. */
  static void awaitEndOfInput() {
    byte[] buf = new byte[256];
    try {
      while (System.in.read(buf) >= 0) {
        // discard
      }
    } catch (IOException e) {
      // a broken pipe means the same: the driver is gone
    }
  }
}
