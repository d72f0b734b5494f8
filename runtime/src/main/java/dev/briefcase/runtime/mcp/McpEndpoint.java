package dev.briefcase.runtime.mcp;

import java.net.URI;

/**
 * Where the kernel's MCP endpoint listens and the optional bearer token for it. {@link #toString}
 * never shows the token.
 */
record McpEndpoint(URI uri, String token) {
  @Override
  public String toString() {
    return uri + (token == null ? "" : " (bearer [REDACTED])");
  }
}
