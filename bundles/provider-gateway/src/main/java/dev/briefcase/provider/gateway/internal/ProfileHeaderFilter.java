package dev.briefcase.provider.gateway.internal;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardFilterName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardFilterPattern;

/**
 * Puts {@code x-briefcase-compatibility-profile: aacp_v1} on every response of the provider
 * listener (SPEC §8.2), errors included and the AS servlets too: set before the chain runs, so it
 * is there however the servlet answers.
 */
@Component(
    service = Filter.class,
    property = "osgi.http.whiteboard.target=" + ProviderListener.TARGET)
@HttpWhiteboardFilterName("briefcase-provider-profile")
@HttpWhiteboardFilterPattern("/*")
public final class ProfileHeaderFilter implements Filter {
  @Override
  public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain)
      throws IOException, ServletException {
    if (resp instanceof HttpServletResponse http) {
      http.setHeader(ProviderListener.PROFILE_HEADER, ProviderListener.PROFILE);
    }
    chain.doFilter(req, resp);
  }
}
