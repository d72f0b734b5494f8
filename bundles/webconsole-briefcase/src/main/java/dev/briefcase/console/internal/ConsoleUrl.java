package dev.briefcase.console.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import dev.briefcase.edge.ListenerUrlFile;
import java.io.IOException;
import java.nio.file.Path;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@code <data_dir>/console.url} (0600, {@link ListenerUrlFile}) once the console's own HTTP
 * listener (the Felix HTTP instance named {@code briefcase-console}) is up, and removes it when it
 * goes away.
 */
@Component(
    immediate = true,
    service = {})
public final class ConsoleUrl {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleUrl.class);
  static final String LISTENER = "briefcase-console";

  private final ListenerUrlFile file;
  private final String root;
  private volatile ServiceReference<HttpServiceRuntime> runtime;

  @Activate
  public ConsoleUrl(BundleContext context) throws IOException {
    String dir = context.getProperty("briefcase.data.dir");
    this.file =
        new ListenerUrlFile(dir == null || dir.isBlank() ? null : Path.of(dir, "console.url"));
    String root = context.getProperty("felix.webconsole.manager.root");
    this.root = root == null || root.isBlank() ? "/system/console" : root;
    publish();
  }

  @Reference(
      service = HttpServiceRuntime.class,
      cardinality = OPTIONAL,
      policy = DYNAMIC,
      policyOption = GREEDY,
      target = "(org.apache.felix.http.name=" + LISTENER + ")",
      updated = "updated")
  void bind(ServiceReference<HttpServiceRuntime> ref) {
    runtime = ref;
    publish();
  }

  void updated(ServiceReference<HttpServiceRuntime> ref) {
    publish();
  }

  void unbind(ServiceReference<HttpServiceRuntime> ref) {
    if (runtime == ref) {
      runtime = null;
      withdraw();
    }
  }

  @Deactivate
  void deactivate() {
    withdraw();
  }

  private synchronized void publish() {
    ServiceReference<HttpServiceRuntime> ref = runtime;
    if (ref == null || file.file() == null) {
      return;
    }
    String pick =
        ListenerUrlFile.preferred(
            ListenerUrlFile.endpoints(
                ref.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT)));
    if (pick == null) {
      return;
    }
    String url = ListenerUrlFile.resolve(pick, root);
    try {
      if (file.publish(url)) {
        LOG.info("Briefcase console serving at {}", url);
      }
    } catch (IOException e) {
      LOG.warn("could not write {}: {}", file.file(), e.toString());
    }
  }

  private synchronized void withdraw() {
    try {
      file.withdraw();
    } catch (IOException e) {
      LOG.warn("could not remove {}", file.file());
    }
  }
}
