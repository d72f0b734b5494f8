package dev.briefcase.sandbox.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.tools.ToolManifest;
import java.util.List;
import org.junit.Test;

/** The bundle's declared manifest narrows the operator's stored one and never widens it. */
public class ManifestCeilingTest {

  private static ToolManifest m(List<String> hosts, List<String> paths, List<String> fs, long max) {
    return new ToolManifest("t", "connector", hosts, paths, fs, max);
  }

  @Test
  public void intersectionNeverWidensTheStoredManifest() {
    ToolManifest stored =
        m(
            List.of("api.example.com", "evil.test", "a.cdn.example.net"),
            List.of("/", "/v1/quote"),
            List.of("/srv", "/etc"),
            1 << 20);
    ToolManifest declared =
        m(
            List.of("api.example.com", "*.cdn.example.net", "more.example.org"),
            List.of("/v1/"),
            List.of("/srv/shared"),
            4 << 20);
    ToolManifest r = ManifestCeiling.intersect(stored, declared);
    assertEquals(List.of("api.example.com", "a.cdn.example.net"), r.allowedHosts());
    assertEquals(List.of("/v1/", "/v1/quote"), r.allowedHttpPathPrefixes());
    assertEquals(List.of("/srv/shared"), r.allowedPathPrefixes());
    assertEquals(1 << 20, r.maxOutputBytes());
    assertEquals("connector", r.runtime());
  }

  @Test
  public void denyAllStaysDenyAll() {
    ToolManifest declared = m(List.of("api.example.com"), List.of("/"), List.of("/srv"), 1 << 20);
    ToolManifest r = ManifestCeiling.intersect(ToolManifest.denyAll("t", "connector"), declared);
    assertEquals(List.of(), r.allowedHosts());
    assertEquals(List.of(), r.allowedPathPrefixes());
  }

  @Test
  public void undeclaredPartsAreLeftToTheOperatorDeclaredEmptyPartsAreClosed() {
    ToolManifest stored = m(List.of("api.example.com"), List.of("/x"), List.of("/srv"), 100);
    ToolManifest declared = m(List.of(), List.of(), List.of(), 1 << 20);
    ToolManifest r =
        ManifestCeiling.intersect(
            stored, declared, new ManifestCeiling.Parts(false, false, true, false));
    assertEquals(List.of("api.example.com"), r.allowedHosts());
    assertEquals(List.of("/x"), r.allowedHttpPathPrefixes());
    assertEquals(List.of(), r.allowedPathPrefixes());
    assertEquals(100, r.maxOutputBytes());
  }

  @Test
  public void pathPrefixesCompareAtSegmentBoundaries() {
    ToolManifest stored = m(List.of(), List.of("/api-private"), List.of("/srv/shared-evil"), 10);
    ToolManifest declared = m(List.of(), List.of("/api"), List.of("/srv/shared"), 10);
    ToolManifest r = ManifestCeiling.intersect(stored, declared);
    assertEquals(List.of(), r.allowedHttpPathPrefixes());
    assertEquals(List.of(), r.allowedPathPrefixes());
  }

  @Test
  public void descriptorsAreStrict() throws Exception {
    ObjectMapper json = new ObjectMapper();
    String ok =
        "{\"id\":\"wasm_x\",\"description\":\"d\",\"category\":\"read\",\"module\":\"w/x.wasm\","
            + "\"input_schema\":{\"type\":\"object\",\"additionalProperties\":false},"
            + "\"output_firewall\":{\"mode\":\"allow_all\"},"
            + "\"manifest\":{\"filesystem\":{\"allowed_path_prefixes\":[]}}}";
    WasmToolDescriptor d = WasmToolDescriptor.parse(json.readTree(ok));
    assertEquals("wasm_x", d.spec().id());
    assertEquals(new ManifestCeiling.Parts(false, false, true, false), d.ceilings());
    for (String bad :
        List.of(
            ok.replace("false}", "true}"),
            ok.replace("w/x.wasm", "../x.wasm"),
            ok.replace("wasm_x", "mcp_a__b"),
            ok.replace(",\"output_firewall\":{\"mode\":\"allow_all\"}", ""),
            ok.replace("\"read\"", "\"\""),
            ok.replace("[]", "[\"relative\"]"))) {
      try {
        WasmToolDescriptor.parse(json.readTree(bad));
        fail("accepted " + bad);
      } catch (IllegalArgumentException expected) {
        // refused
      }
    }
  }
}
