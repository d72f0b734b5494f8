package dev.briefcase.itests.distribution;

import dev.briefcase.itests.common.FeatureBundles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Builds WASM tool bundles at test time: WAT compiled with wabt's {@code wat2wasm} (through {@code
 * scripts/wat2wasm.sh}, which installs Debian {@code wabt} when missing) and packed with their
 * descriptors into a jar carrying {@code Briefcase-Wasm-Tools}.
 */
final class WasmBundles {

  /** {@code (len << 32) | ptr} of the run parameters: the module answers its own input. */
  static final String PACK_INPUT =
      "(i64.or (i64.shl (i64.extend_i32_u (local.get 1)) (i64.const 32))"
          + " (i64.extend_i32_u (local.get 0)))";

  private final Map<String, byte[]> entries = new LinkedHashMap<>();
  private final StringBuilder header = new StringBuilder();

  /** A module whose run hands its (validated) input to host import {@code name}. */
  static String forward(String name) {
    return "(module (import \"host\" \""
        + name
        + "\" (func $h (param i32 i32) (result i64))) (memory (export \"memory\") 1)"
        + " (func (export \"run\") (param i32 i32) (result i64)"
        + " (call $h (local.get 0) (local.get 1))))";
  }

  /** A module whose run body is {@code body} (params 0 and 1, result i64). */
  static String run(String imports, String body) {
    return "(module "
        + imports
        + " (memory (export \"memory\") 1)"
        + " (func (export \"run\") (param i32 i32) (result i64) "
        + body
        + "))";
  }

  /** Adds a tool: its module from {@code wat}, a descriptor with {@code schemaProperties}. */
  WasmBundles tool(String id, String wat, String schemaProperties, String manifest)
      throws IOException, InterruptedException {
    entries.put("wasm/" + id + ".wasm", compile(wat));
    String descriptor =
        "{\"id\":\""
            + id
            + "\",\"description\":\"itest tool "
            + id
            + "\",\"category\":\"read\",\"module\":\"wasm/"
            + id
            + ".wasm\",\"input_schema\":{\"type\":\"object\",\"properties\":{"
            + schemaProperties
            + "},\"additionalProperties\":false},\"output_firewall\":{\"mode\":\"allow_all\"}"
            + (manifest == null ? "" : ",\"manifest\":" + manifest)
            + "}";
    entries.put("tools/" + id + ".json", descriptor.getBytes(StandardCharsets.UTF_8));
    header.append(header.length() == 0 ? "" : ",").append("tools/").append(id).append(".json");
    return this;
  }

  byte[] jar(String symbolicName, String version) throws IOException {
    Manifest mf = new Manifest();
    Attributes a = mf.getMainAttributes();
    a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    a.putValue("Bundle-ManifestVersion", "2");
    a.putValue("Bundle-SymbolicName", symbolicName);
    a.putValue("Bundle-Version", version);
    a.putValue("Bundle-Name", "itest WASM tools " + symbolicName);
    a.putValue("Briefcase-Wasm-Tools", header.toString());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream out = new JarOutputStream(bytes, mf)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new JarEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  static byte[] compile(String wat) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("wat");
    Path in = dir.resolve("m.wat");
    Path out = dir.resolve("m.wasm");
    Files.writeString(in, wat);
    Process p =
        new ProcessBuilder(
                "sh",
                FeatureBundles.root().resolve("scripts/wat2wasm.sh").toString(),
                in.toString(),
                out.toString())
            .redirectErrorStream(true)
            .start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException("wat2wasm failed: " + log);
    }
    return Files.readAllBytes(out);
  }

  /** An example bundle the build produced. */
  static Path example(String kind) {
    return FeatureBundles.root()
        .resolve(
            "connector-bundles/examples/wasm-"
                + kind
                + "/target/dev.briefcase.examples.wasm."
                + kind
                + "-0.1.0-SNAPSHOT.jar");
  }
}
