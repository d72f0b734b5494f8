package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.kernel.internal.DrainAndSwapTest.Versioned;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallOutcome.Status;
import dev.briefcase.tools.ToolManifest;
import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

/**
 * Tool ids are owned by the bundle that offered them first: a connector of another bundle that
 * offers the same id — even with a higher service ranking — is refused and receipted, and never
 * inherits the owner's manifest; the owner's own update still swaps.
 */
public class ToolOwnershipTest {
  private Fixture k;
  private long serviceIds;

  @Before
  public void setUp() throws Exception {
    k = new Fixture();
  }

  @After
  public void tearDown() {
    k.close();
  }

  @Test
  public void anotherBundleCannotTakeAToolIdOrItsManifest() throws Exception {
    FakeBundle vendor = new FakeBundle("vendor.tools");
    FakeBundle intruder = new FakeBundle("intruder.tools");
    Versioned original = new Versioned("original");
    Versioned hostile = new Versioned("hostile");
    ServiceReference<Connector> vendorRef = ref("vendor", 0, vendor);
    k.registry.bindConnector(vendorRef, original);
    ToolManifest grant =
        new ToolManifest("ping", "connector", List.of(), List.of(), List.of("/srv/data"), 1 << 20);
    k.manifests.put(grant, "test");
    assertEquals(List.of("/srv/data"), k.manifests.effective("ping").allowedPathPrefixes());

    ServiceReference<Connector> intruderRef = ref("intruder", 1000, intruder);
    k.registry.bindConnector(intruderRef, hostile);

    assertEquals("original", version(k.call("ping", "{}")));
    assertEquals(0, hostile.served.get());
    assertEquals("vendor.tools", k.registry.owner("ping"));
    List<ObjectNode> refused = k.receipts.ofType("plugin_lifecycle");
    assertEquals(refused.toString(), 1, refused.size());
    ObjectNode r = refused.get(0);
    assertEquals("refused_tool", r.path("action").asText());
    assertEquals(ToolRegistry.TOOL_ID_CONFLICT, r.path("reason").asText());
    assertEquals("intruder.tools", r.path("bundle").asText());
    assertEquals("ping", r.path("tool_id").asText());
    assertEquals("vendor.tools", r.path("owner").asText());
    // the grant belongs to the owner only
    assertTrue(
        k.manifests.forTool("intruder.tools", "ping", "connector").allowedPathPrefixes().isEmpty());

    // another connector arriving rebuilds the table: the refusal is not receipted again
    k.registry.bindConnector(ref("other", 0, new FakeBundle("other.tools")), new FakeConnector());
    assertEquals(1, k.receipts.ofType("plugin_lifecycle").size());

    // the owner goes away for good (DS unbinds while the bundle stops; the uninstalled event
    // comes after): the id is free again, but the grant does not follow it
    vendor.state = Bundle.STOPPING;
    k.registry.unbindConnector(vendorRef);
    assertEquals(Status.ERROR, k.call("ping", "{}").status()); // a stop keeps the id
    vendor.state = Bundle.UNINSTALLED;
    k.registry.bundleUninstalled(vendor.proxy);
    assertEquals("hostile", version(k.call("ping", "{}")));
    assertEquals("intruder.tools", k.registry.owner("ping"));
    assertTrue(k.manifests.effective("ping").allowedPathPrefixes().isEmpty());
    assertFalse(k.manifests.stored("ping"));
  }

  @Test
  public void ownershipOutlivesARestartWhoeverRegistersFirst() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("briefcase-ownership");
    try (Fixture before = Fixture.storedIn(dir)) {
      before.registry.bindConnector(
          ref("vendor", 0, new FakeBundle("vendor.tools")), new Versioned("original"));
      before.manifests.put(
          new ToolManifest(
              "ping", "connector", List.of(), List.of(), List.of("/srv/data"), 1 << 20),
          "test");
    }
    // the restart: the framework cache starts clean, every bundle gets a new id, and the intruder
    // happens to register first
    try (Fixture after = Fixture.storedIn(dir)) {
      Versioned hostile = new Versioned("hostile");
      after.registry.bindConnector(
          ref("intruder", 1000, new FakeBundle("intruder.tools")), hostile);
      assertEquals("vendor.tools", after.registry.owner("ping"));
      assertFalse(after.call("ping", "{}").status() == Status.OK);
      assertEquals(0, hostile.served.get());
      List<ObjectNode> refused = after.receipts.ofType("plugin_lifecycle");
      assertEquals(refused.toString(), 1, refused.size());
      assertEquals(ToolRegistry.TOOL_ID_CONFLICT, refused.get(0).path("reason").asText());
      assertEquals("intruder.tools", refused.get(0).path("bundle").asText());
      assertEquals("vendor.tools", refused.get(0).path("owner").asText());

      // the owner comes up: it serves, with its grant, and the intruder still does not
      FakeBundle vendor = new FakeBundle("vendor.tools");
      ServiceReference<Connector> vendorRef = ref("vendor", 0, vendor);
      after.registry.bindConnector(vendorRef, new Versioned("original"));
      assertEquals("original", version(after.call("ping", "{}")));
      assertEquals(0, hostile.served.get());
      assertEquals(List.of("/srv/data"), after.manifests.effective("ping").allowedPathPrefixes());

      // uninstalling the owner releases the id, for this run and the next
      vendor.state = Bundle.UNINSTALLED;
      after.registry.unbindConnector(vendorRef);
      after.registry.bundleUninstalled(vendor.proxy);
      assertEquals("hostile", version(after.call("ping", "{}")));
    }
    try (Fixture again = Fixture.storedIn(dir)) {
      assertEquals("intruder.tools", again.registry.owner("ping"));
    }
  }

  @Test
  public void aSecondBundleWithTheOwnersNameIsRefused() throws Exception {
    FakeBundle vendor = new FakeBundle("vendor.tools");
    FakeBundle sameName = new FakeBundle("vendor.tools"); // another bundle id, the same name
    Versioned original = new Versioned("original");
    Versioned hostile = new Versioned("hostile");
    k.registry.bindConnector(ref("vendor", 0, vendor), original);
    k.manifests.put(
        new ToolManifest("ping", "connector", List.of(), List.of(), List.of("/srv/data"), 1 << 20),
        "test");

    k.registry.bindConnector(ref("vendor", 1000, sameName), hostile);

    assertEquals("original", version(k.call("ping", "{}")));
    assertEquals(0, hostile.served.get());
    List<ObjectNode> refused = k.receipts.ofType("plugin_lifecycle");
    assertEquals(refused.toString(), 1, refused.size());
    assertEquals("refused_tool", refused.get(0).path("action").asText());
    assertEquals(ToolRegistry.TOOL_ID_CONFLICT, refused.get(0).path("reason").asText());
    assertEquals("vendor.tools", refused.get(0).path("owner").asText());
  }

  @Test
  public void theOwnersUpdateStillSwaps() throws Exception {
    FakeBundle vendor = new FakeBundle("vendor.tools");
    Versioned v1 = new Versioned("v1");
    Versioned v2 = new Versioned("v2");
    ServiceReference<Connector> r1 = ref("vendor", 0, vendor);
    k.registry.bindConnector(r1, v1);
    assertEquals("v1", version(k.call("ping", "{}")));
    // the new revision of the same bundle registers next to the old one
    k.registry.bindConnector(ref("vendor", 1, vendor), v2);
    assertEquals("v2", version(k.call("ping", "{}")));
    k.registry.unbindConnector(r1);
    assertEquals("v2", version(k.call("ping", "{}")));
    assertTrue(k.receipts.ofType("plugin_lifecycle").isEmpty());
  }

  @Test
  public void aManifestNeedsAnOwner() {
    try {
      k.manifests.put(ToolManifest.denyAll("nobody_offers_this", "connector"), "test");
      throw new AssertionError("a manifest was stored for a tool nobody offers");
    } catch (IllegalArgumentException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("unknown_tool"));
    }
  }

  private static String version(ToolCallOutcome r) {
    assertEquals(r.toString(), Status.OK, r.status());
    return r.content().get("version").asText();
  }

  private ServiceReference<Connector> ref(String id, int ranking, FakeBundle bundle) {
    long serviceId = ++serviceIds;
    Hashtable<String, Object> props = new Hashtable<>();
    props.put(Connector.ID, id);
    props.put("service.ranking", ranking);
    props.put("service.id", serviceId);
    @SuppressWarnings("unchecked")
    ServiceReference<Connector> ref =
        (ServiceReference<Connector>)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ServiceReference.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "getProperty" -> props.get((String) args[0]);
                      case "getPropertyKeys" -> props.keySet().toArray(new String[0]);
                      case "getProperties" -> (Dictionary<String, Object>) props;
                      case "getBundle" -> bundle.proxy;
                      case "compareTo" -> compare(props, args[0]);
                      case "hashCode" -> System.identityHashCode(proxy);
                      case "equals" -> proxy == args[0];
                      case "toString" -> "ref " + id;
                      default -> null;
                    });
    return ref;
  }

  private static int compare(Hashtable<String, Object> mine, Object other) {
    @SuppressWarnings("unchecked")
    ServiceReference<Connector> o = (ServiceReference<Connector>) other;
    int byRank =
        Integer.compare(
            (Integer) mine.get("service.ranking"), (Integer) o.getProperty("service.ranking"));
    if (byRank != 0) {
      return byRank;
    }
    return Long.compare((Long) o.getProperty("service.id"), (Long) mine.get("service.id"));
  }

  /** The few bundle methods the registry reads. */
  static final class FakeBundle {
    private static final java.util.concurrent.atomic.AtomicLong IDS =
        new java.util.concurrent.atomic.AtomicLong(100);
    final String name;
    final long id = IDS.incrementAndGet();
    volatile int state = Bundle.ACTIVE;
    final Bundle proxy;

    FakeBundle(String name) {
      this.name = name;
      this.proxy =
          (Bundle)
              Proxy.newProxyInstance(
                  getClass().getClassLoader(),
                  new Class<?>[] {Bundle.class},
                  (p, method, args) ->
                      switch (method.getName()) {
                        case "getSymbolicName" -> name;
                        case "getState" -> state;
                        case "getBundleId" -> id;
                        case "getVersion" -> new Version(1, 0, 0);
                        case "hashCode" -> System.identityHashCode(p);
                        case "equals" -> p == args[0];
                        case "toString" -> name;
                        default -> null;
                      });
    }
  }
}
