package dev.briefcase.bench.mcp;

import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The baseline of the MCP load bench: a plain MCP server on the official Java SDK (streamable HTTP
 * servlet transport) inside Jetty 12, serving one tool {@code echo {text}} that answers the text,
 * with no enforcement of any kind. Runs as its own JVM on {@code target/mcp-baseline-lib} (see the
 * pom), binds {@code 127.0.0.1:0}, prints {@code MCP_URL http://127.0.0.1:PORT/mcp} on stdout and
 * serves until its standard input closes, so it never outlives the driver that started it.
 */
public final class SdkEchoServer {
  private SdkEchoServer() {}

  public static void main(String[] args) throws Exception {
    HttpServletStreamableServerTransportProvider transport =
        HttpServletStreamableServerTransportProvider.builder().mcpEndpoint("/mcp").build();
    McpSchema.Tool echo =
        McpSchema.Tool.builder()
            .name("echo")
            .description("Answers its text")
            .inputSchema(
                Map.of(
                    "type", "object",
                    "properties", Map.of("text", Map.of("type", "string")),
                    "required", List.of("text")))
            .build();
    McpSyncServer mcp =
        McpServer.sync(transport)
            .serverInfo("sdk-echo", "2.1.0")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
            .toolCall(
                echo,
                (exchange, request) ->
                    McpSchema.CallToolResult.builder()
                        .addTextContent(String.valueOf(request.arguments().get("text")))
                        .isError(false)
                        .build())
            .build();

    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder holder = new ServletHolder(transport);
    // the transport answers requests on an async context (SSE)
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/mcp");
    jetty.setHandler(context);
    jetty.start();
    System.out.println(
        ChildServer.URL_PREFIX + "http://127.0.0.1:" + connector.getLocalPort() + "/mcp");
    System.out.flush();

    ChildServer.awaitEndOfInput();
    try {
      mcp.close();
      jetty.stop();
    } finally {
      System.exit(0);
    }
  }
}
