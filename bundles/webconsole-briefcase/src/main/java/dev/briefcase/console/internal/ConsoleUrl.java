package dev.briefcase.console.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
 * Writes {@code <data_dir>/console.url} (0600) once the console's own HTTP listener (the Felix HTTP
 * instance named {@code briefcase-console}) is up, and removes it when it goes away.
 */
@Component(
    immediate = true,
    service = {})
public final class ConsoleUrl {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleUrl.class);
  static final String LISTENER = "briefcase-console";

  private final Path file;
  private final String root;
  private volatile ServiceReference<HttpServiceRuntime> runtime;

  @Activate
  public ConsoleUrl(BundleContext context) {
    String dir = context.getProperty("briefcase.data.dir");
    this.file = dir == null || dir.isBlank() ? null : Path.of(dir, "console.url");
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
    if (ref == null || file == null || root == null) {
      return;
    }
    List<String> endpoints =
        endpoints(ref.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT));
    String pick = null;
    for (String e : endpoints) {
      if (!e.contains("[")) {
        pick = e;
        break;
      }
    }
    if (pick == null && !endpoints.isEmpty()) {
      pick = endpoints.get(0);
    }
    if (pick == null) {
      return;
    }
    String url = (pick.endsWith("/") ? pick.substring(0, pick.length() - 1) : pick) + root;
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, url + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      LOG.info("Briefcase console serving at {}", url);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("could not write {}: {}", file, e.toString());
    }
  }

  private synchronized void withdraw() {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("could not remove {}", file);
      }
    }
  }

  private static List<String> endpoints(Object property) {
    List<String> out = new ArrayList<>();
    if (property instanceof String s) {
      out.add(s);
    } else if (property instanceof String[] a) {
      out.addAll(List.of(a));
    } else if (property instanceof Collection<?> c) {
      c.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }
}
