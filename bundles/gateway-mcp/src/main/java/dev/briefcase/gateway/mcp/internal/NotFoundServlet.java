package dev.briefcase.gateway.mcp.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The default servlet of the agent listener: every path but {@code /mcp} is a bare 404. The agent
 * listener serves no admin route, and this keeps the container's HTML error page (and its version)
 * out of the answer.
 */
@Component(
    service = Servlet.class,
    property = "osgi.http.whiteboard.target=" + McpGateway.AGENT_LISTENER)
@HttpWhiteboardServletName("briefcase-mcp-not-found")
@HttpWhiteboardServletPattern("/")
public final class NotFoundServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final byte[] BODY =
      "{\"error\":\"not_found\",\"message\":\"the MCP endpoint is /mcp\"}"
          .getBytes(StandardCharsets.UTF_8);

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setStatus(404);
    resp.setContentType("application/json");
    resp.setHeader("Cache-Control", "no-store");
    resp.setContentLength(BODY.length);
    resp.getOutputStream().write(BODY);
  }
}
