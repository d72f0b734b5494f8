package dev.briefcase.provider.gateway.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The default servlet of the provider listener: any unknown path is a JSON 404 {@code not_found}
 * (never the container's HTML page), with the profile header from {@link ProfileHeaderFilter}.
 */
@Component(
    service = Servlet.class,
    property = "osgi.http.whiteboard.target=" + ProviderListener.TARGET)
@HttpWhiteboardServletName("briefcase-provider-not-found")
@HttpWhiteboardServletPattern("/")
public final class ProviderNotFoundServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    ProviderGateway.send(resp, ApiResponse.of(new ProviderError(404, "not_found", "no route")));
  }
}
