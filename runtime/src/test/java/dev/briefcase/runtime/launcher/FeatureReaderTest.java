package dev.briefcase.runtime.launcher;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class FeatureReaderTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  static Path coreFeature() {
    return Path.of(System.getProperty("briefcase.test.featuresDir", "../features"), "core.json");
  }

  private Feature parse(String json) throws Exception {
    return new FeatureReader().parse(new ObjectMapper().readTree(json));
  }

  @Test
  public void readsTheCoreFeature() throws Exception {
    Feature core = new FeatureReader().read(coreFeature());
    assertEquals("dev.briefcase:dev.briefcase.feature.core:0.1.0-SNAPSHOT", core.id());
    FeatureBundle scr =
        core.bundles().stream()
            .filter(b -> b.artifactId().equals("org.apache.felix.scr"))
            .findFirst()
            .orElseThrow();
    assertEquals("org.apache.felix", scr.groupId());
    assertEquals("2.2.18", scr.version());
    assertEquals("org.apache.felix.scr-2.2.18.jar", scr.fileName());
    assertTrue(
        core.bundles().stream()
            .anyMatch(b -> b.id().equals("dev.briefcase:dev.briefcase.kernel:0.1.0-SNAPSHOT")));
    // spifly must start before slf4j-api, or slf4j binds its no-op logger
    int spifly = orderOf(core, "org.apache.aries.spifly.dynamic.bundle");
    assertTrue(spifly < orderOf(core, "slf4j-api"));
    assertTrue(
        orderOf(core, "org.apache.felix.configadmin") < orderOf(core, "dev.briefcase.kernel"));
    assertEquals(
        "${briefcase.deploy.dir}", core.frameworkProperties().get("felix.fileinstall.dir"));
    assertEquals("onFirstInit", core.frameworkProperties().get("org.osgi.framework.storage.clean"));
    assertTrue(core.configurations().containsKey("dev.briefcase.admin.api"));
  }

  private static int orderOf(Feature f, String artifactId) {
    return f.bundles().stream()
        .filter(b -> b.artifactId().equals(artifactId))
        .findFirst()
        .orElseThrow()
        .startOrder();
  }

  @Test
  public void parsesIdsStartOrderAndStringEntries() throws Exception {
    Feature f =
        parse(
            "{\"id\":\"g:f:1\",\"bundles\":[{\"id\":\"g:a:1.0\",\"start-order\":4},"
                + "{\"id\":\"g:b:zip:2\"},\"g:c:jar:natives:3\",{\"id\":\"g:d:1\",\"start-order\":0}]}");
    assertEquals(4, f.bundles().size());
    assertEquals(4, f.bundles().get(0).startOrder());
    assertEquals(1, f.bundles().get(1).startOrder());
    assertEquals("b-2.zip", f.bundles().get(1).fileName());
    assertEquals("c-3-natives.jar", f.bundles().get(2).fileName());
    assertEquals(1, f.bundles().get(3).startOrder());
  }

  @Test
  public void rejectsBadDocuments() {
    assertThrows(IllegalArgumentException.class, () -> parse("{\"bundles\":[]}"));
    assertThrows(
        IllegalArgumentException.class,
        () -> parse("{\"id\":\"g:f:1\",\"bundles\":[{\"id\":\"g:a\"}]}"));
    assertThrows(
        IllegalArgumentException.class,
        () -> parse("{\"id\":\"g:f:1\",\"bundles\":[{\"id\":\"g:a:1\",\"start-order\":\"x\"}]}"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                parse(
                    "{\"id\":\"g:f:1\",\"extensions\":{\"content-packages\":"
                        + "{\"kind\":\"mandatory\",\"type\":\"artifacts\",\"artifacts\":[]}}}"));
    assertTrue(e.getMessage(), e.getMessage().contains("content-packages"));
  }

  @Test
  public void ignoresOptionalUnknownExtensions() throws Exception {
    Feature f =
        parse(
            "{\"id\":\"g:f:1\",\"extensions\":{\"docs\":{\"kind\":\"optional\",\"type\":\"text\",\"text\":\"x\"}}}");
    assertTrue(f.frameworkProperties().isEmpty());
  }

  @Test
  public void readErrorsNameTheFile() throws Exception {
    Path bad = tmp.newFile("bad.json").toPath();
    Files.writeString(bad, "{\"id\":\"g:f:1\", \"id\":\"dup\"}");
    LaunchException e = assertThrows(LaunchException.class, () -> new FeatureReader().read(bad));
    assertTrue(e.getMessage(), e.getMessage().contains("bad.json"));
    LaunchException missing =
        assertThrows(
            LaunchException.class,
            () -> new FeatureReader().read(tmp.getRoot().toPath().resolve("nope.json")));
    assertTrue(missing.getMessage().startsWith("feature file not found"));
  }

  @Test
  public void laterFeaturesWin() throws Exception {
    Feature a =
        parse(
            "{\"id\":\"g:a:1\",\"bundles\":[{\"id\":\"g:x:1\",\"start-order\":2},{\"id\":\"g:y:1\"}],"
                + "\"configurations\":{\"p\":{\"k\":\"a\",\"only-a\":1}},"
                + "\"extensions\":{\"framework-launching-properties\":{\"kind\":\"mandatory\",\"type\":\"json\",\"json\":{\"f\":\"a\",\"g\":\"a\"}}}}");
    Feature b =
        parse(
            "{\"id\":\"g:b:1\",\"bundles\":[{\"id\":\"g:x:2\",\"start-order\":5}],"
                + "\"configurations\":{\"p\":{\"k\":\"b\"}},"
                + "\"extensions\":{\"framework-launching-properties\":{\"kind\":\"mandatory\",\"type\":\"json\",\"json\":{\"f\":\"b\"}}}}");
    Feature merged = Feature.merge(List.of(a, b));
    assertEquals(2, merged.bundles().size());
    assertEquals("2", merged.bundles().get(0).version());
    assertEquals(5, merged.bundles().get(0).startOrder());
    assertEquals("b", merged.configurations().get("p").get("k").asText());
    assertFalse(merged.configurations().get("p").has("only-a"));
    assertEquals(Map.of("f", "b", "g", "a"), merged.frameworkProperties());
  }

  @Test
  public void factoryPids() {
    ConfigurationPid plain = ConfigurationPid.parse("dev.briefcase.admin.api");
    assertFalse(plain.isFactory());
    assertNull(plain.factoryPid());
    ConfigurationPid factory = ConfigurationPid.parse("org.apache.felix.fileinstall~deploy");
    assertTrue(factory.isFactory());
    assertEquals("org.apache.felix.fileinstall", factory.factoryPid());
    assertEquals("deploy", factory.pid());
    assertThrows(IllegalArgumentException.class, () -> ConfigurationPid.parse("~x"));
    assertThrows(IllegalArgumentException.class, () -> ConfigurationPid.parse("x~"));
  }

  @Test
  public void configurationValuesAreTypedAndSubstituted() throws Exception {
    Feature f =
        parse(
            "{\"id\":\"g:f:1\",\"variables\":{\"port\":\"8080\"},\"configurations\":{\"a.b~one\":{"
                + "\"bind\":\"${briefcase.tcp.addr}\",\"dir\":\"${briefcase.data.dir}/x\","
                + "\"port:Integer\":\"${port}\",\"n\":5,\"ratio\":0.5,\"on\":true,"
                + "\"hosts\":[\"a\",\"b\"],\"ids:Long[]\":[1,\"2\"],\"c:Collection<Integer>\":[3],"
                + "\"obj\":{\"x\":1},\"skip\":null}}}");
    Map<ConfigurationPid, Hashtable<String, Object>> configs =
        FeatureLauncher.configurations(
            f, Map.of("briefcase.tcp.addr", "127.0.0.1:0", "briefcase.data.dir", "/d"));
    Hashtable<String, Object> p = configs.get(new ConfigurationPid("a.b", "one"));
    assertEquals("127.0.0.1:0", p.get("bind"));
    assertEquals("/d/x", p.get("dir"));
    assertEquals(8080, p.get("port"));
    assertEquals(5L, p.get("n"));
    assertEquals(0.5, p.get("ratio"));
    assertEquals(true, p.get("on"));
    assertArrayEquals(new String[] {"a", "b"}, (String[]) p.get("hosts"));
    assertArrayEquals(new Long[] {1L, 2L}, (Long[]) p.get("ids"));
    assertEquals(List.of(3), p.get("c"));
    assertEquals("{\"x\":1}", p.get("obj"));
    assertFalse(p.containsKey("skip"));
  }

  @Test
  public void unknownPlaceholderFailsNamingIt() throws Exception {
    Feature f = parse("{\"id\":\"g:f:1\",\"configurations\":{\"p\":{\"k\":\"${nope}\"}}}");
    LaunchException e =
        assertThrows(LaunchException.class, () -> FeatureLauncher.configurations(f, Map.of()));
    assertTrue(e.getMessage(), e.getMessage().contains("${nope}"));
    assertTrue(e.getMessage(), e.getMessage().contains("configuration p k"));
  }

  @Test
  public void badTypedValueFails() throws Exception {
    Feature f = parse("{\"id\":\"g:f:1\",\"configurations\":{\"p\":{\"port:Integer\":\"x\"}}}");
    LaunchException e =
        assertThrows(LaunchException.class, () -> FeatureLauncher.configurations(f, Map.of()));
    assertTrue(e.getMessage(), e.getMessage().contains("is not a Integer"));
  }

  @Test
  public void placeholdersNestAndCyclesFail() {
    Placeholders ph =
        new Placeholders(List.of(Map.of("a", "${b}/a", "b", "/root", "x", "${y}", "y", "${x}")));
    assertEquals("/root/a/c", ph.substitute("${a}/c", "t"));
    assertThrows(IllegalArgumentException.class, () -> ph.substitute("${x}", "t"));
    assertThrows(IllegalArgumentException.class, () -> ph.substitute("${a", "t"));
  }
}
