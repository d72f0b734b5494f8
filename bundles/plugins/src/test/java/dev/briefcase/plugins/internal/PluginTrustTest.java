package dev.briefcase.plugins.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.briefcase.plugins.internal.PluginTrust.Trust;
import dev.briefcase.plugins.internal.PluginTrust.Verdict;
import dev.briefcase.testing.JarSigning;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;

/**
 * Plugin signature checks on jars signed at test time with the JDK's own {@code keytool} and {@code
 * jarsigner}: a trusted vendor, a foreign vendor, an unsigned jar, and signed jars changed after
 * signing.
 */
public class PluginTrustTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final String CLASS_ENTRY = "dev/example/plugin/Thing.class";
  private static Path trustDir;
  private static byte[] unsigned;
  private static byte[] trustedSigned;
  private static byte[] foreignSigned;
  private static byte[] trustedExtension;

  @BeforeClass
  public static void signJars() throws Exception {
    Path dir = TMP.getRoot().toPath();
    Path plain = dir.resolve("plain.jar");
    Files.write(plain, tinyBundle());
    unsigned = Files.readAllBytes(plain);
    Path vendorKs = JarSigning.keyPair(dir, "vendor", "CN=Trusted Vendor,O=Example");
    Path foreignKs = JarSigning.keyPair(dir, "foreign", "CN=Foreign Vendor,O=Elsewhere");
    trustDir = Files.createDirectories(dir.resolve("trust"));
    JarSigning.exportCert(vendorKs, "vendor", trustDir.resolve("vendor.pem"));
    trustedSigned = JarSigning.sign(dir, plain, vendorKs, "vendor");
    foreignSigned = JarSigning.sign(dir, plain, foreignKs, "foreign");
    Path extension = dir.resolve("extension.jar");
    Files.write(extension, tinyBundle("Fragment-Host", "system.bundle; extension:=framework"));
    trustedExtension = JarSigning.sign(dir, extension, vendorKs, "vendor");
  }

  private Set<X509Certificate> store() {
    return PluginTrust.loadTrustStore(trustDir);
  }

  @Test
  public void trustedVendorIsTrustedAndNamed() {
    Verdict v = PluginTrust.verify(trustedSigned, store());
    assertEquals(v.detail(), Trust.TRUSTED, v.trust());
    assertTrue(v.signer(), v.signer().contains("CN=Trusted Vendor"));
    assertEquals(64, v.fingerprint().length());
  }

  @Test
  public void extensionBundlesAreMalformedSignedOrNot() throws Exception {
    Verdict signed = PluginTrust.verify(trustedExtension, store());
    assertEquals(signed.detail(), Trust.MALFORMED, signed.trust());
    String[][] headers = {
      {"Fragment-Host", "system.bundle; extension:=framework"},
      {"Fragment-Host", "system.bundle"},
      {"Fragment-Host", " org.apache.felix.framework ;bundle-version=7"},
      {"Fragment-Host", "some.host;Extension := bootclasspath"},
      {"ExtensionBundle-Activator", "evil.Act"},
    };
    for (String[] h : headers) {
      Verdict v = PluginTrust.verify(tinyBundle(h[0], h[1]), store());
      assertEquals(h[1], Trust.MALFORMED, v.trust());
      assertEquals(ZipLayout.MALFORMED, v.trust().code());
    }
    Verdict fragment = PluginTrust.verify(tinyBundle("Fragment-Host", "dev.example.host"), store());
    assertEquals(Trust.UNSIGNED, fragment.trust());
  }

  @Test
  public void unsignedJarIsUnsigned() {
    Verdict v = PluginTrust.verify(unsigned, store());
    assertEquals(Trust.UNSIGNED, v.trust());
    assertNull(v.signer());
  }

  @Test
  public void foreignSignerIsUntrusted() {
    Verdict v = PluginTrust.verify(foreignSigned, store());
    assertEquals(v.detail(), Trust.UNTRUSTED, v.trust());
    assertTrue(v.signer(), v.signer().contains("CN=Foreign Vendor"));
  }

  @Test
  public void emptyTrustStoreTrustsNobody() throws IOException {
    Path empty = Files.createDirectories(TMP.getRoot().toPath().resolve("empty-trust"));
    assertEquals(
        Trust.UNTRUSTED,
        PluginTrust.verify(trustedSigned, PluginTrust.loadTrustStore(empty)).trust());
    assertEquals(
        Trust.UNTRUSTED,
        PluginTrust.verify(trustedSigned, PluginTrust.loadTrustStore(empty.resolve("missing")))
            .trust());
  }

  @Test
  public void classChangedAfterSigningIsTampered() throws IOException {
    byte[] changed =
        rewrite(
            trustedSigned,
            name -> name.equals(CLASS_ENTRY),
            "not the signed bytes".getBytes(StandardCharsets.UTF_8),
            null);
    Verdict v = PluginTrust.verify(changed, store());
    assertEquals(v.detail(), Trust.TAMPERED, v.trust());
  }

  @Test
  public void entryAddedAfterSigningIsTampered() throws IOException {
    byte[] added = rewrite(trustedSigned, name -> false, null, "dev/example/plugin/Evil.class");
    Verdict v = PluginTrust.verify(added, store());
    assertEquals(v.detail(), Trust.TAMPERED, v.trust());
  }

  @Test
  public void entryRemovedAfterSigningIsTampered() throws IOException {
    byte[] removed = rewrite(trustedSigned, name -> name.equals(CLASS_ENTRY), null, null);
    Verdict v = PluginTrust.verify(removed, store());
    assertEquals(v.detail(), Trust.TAMPERED, v.trust());
  }

  @Test
  public void trustStoreReadsPemAndDerAndSkipsJunk() throws Exception {
    Path dir = Files.createDirectories(TMP.getRoot().toPath().resolve("mixed-trust"));
    X509Certificate cert = store().iterator().next();
    Files.write(dir.resolve("vendor.der"), cert.getEncoded());
    Files.writeString(dir.resolve("README.txt"), "not a certificate");
    Set<X509Certificate> loaded = PluginTrust.loadTrustStore(dir);
    assertEquals(Set.of(cert), loaded);
    assertEquals(Trust.TRUSTED, PluginTrust.verify(trustedSigned, loaded).trust());
  }

  @Test
  public void trustDirPrecedence() {
    assertEquals(Path.of("/env"), TrustGate.trustDir("/env", "/config", "/data"));
    assertEquals(Path.of("/config"), TrustGate.trustDir("", "/config", "/data"));
    assertEquals(Path.of("/data/trust"), TrustGate.trustDir(null, "", "/data"));
  }

  @Test
  public void signatureFilesAreRecognised() {
    assertTrue(PluginTrust.isSignatureFile("META-INF/VENDOR.SF"));
    assertTrue(PluginTrust.isSignatureFile("META-INF/VENDOR.EC"));
    assertTrue(!PluginTrust.isSignatureFile("META-INF/services/x.SF"));
    assertTrue(!PluginTrust.isSignatureFile("dev/x.RSA"));
  }

  @Test
  public void installedEntriesAreVerifiedLikeTheJar() throws Exception {
    assertEquals(Trust.TRUSTED, rebuilt(trustedSigned));
    assertEquals(Trust.UNTRUSTED, rebuilt(foreignSigned));
    assertEquals(Trust.UNSIGNED, rebuilt(unsigned));
    byte[] changed =
        rewrite(trustedSigned, name -> name.equals(CLASS_ENTRY), new byte[] {9, 9}, null);
    assertEquals(Trust.TAMPERED, rebuilt(changed));
  }

  @Test
  public void installedContentIsConfirmedAgainstTheVerifiedBytes() throws Exception {
    Verdict verified = PluginTrust.verify(trustedSigned, store());
    assertEquals(Trust.TRUSTED, verified.trust());
    assertEquals(verified, PluginTrust.confirmInstalled(bundleOf(trustedSigned), verified));
    // what the framework holds is not what was verified: a class replaced, or an entry added
    byte[] replaced =
        rewrite(trustedSigned, name -> name.equals(CLASS_ENTRY), new byte[] {7, 7}, null);
    Verdict v = PluginTrust.confirmInstalled(bundleOf(replaced), verified);
    assertEquals(v.detail(), Trust.TAMPERED, v.trust());
    byte[] added = rewrite(trustedSigned, name -> false, null, "dev/example/plugin/Evil.class");
    assertEquals(Trust.TAMPERED, PluginTrust.confirmInstalled(bundleOf(added), verified).trust());
    byte[] removed = rewrite(trustedSigned, name -> name.equals(CLASS_ENTRY), null, null);
    assertEquals(Trust.TAMPERED, PluginTrust.confirmInstalled(bundleOf(removed), verified).trust());
  }

  private Trust rebuilt(byte[] jar) throws IOException {
    return PluginTrust.verifyInstalled(bundleOf(jar), store()).trust();
  }

  /** A bundle that only answers getEntryPaths / getEntry, from a jar on disk. */
  private static Bundle bundleOf(byte[] jar) throws IOException {
    Path file = Files.createTempFile(TMP.getRoot().toPath(), "bundle", ".jar");
    Files.write(file, jar);
    Set<String> names = new TreeSet<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      zip.stream().filter(e -> !e.isDirectory()).forEach(e -> names.add(e.getName()));
    }
    return (Bundle)
        Proxy.newProxyInstance(
            Bundle.class.getClassLoader(),
            new Class<?>[] {Bundle.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "getEntryPaths":
                  String dir = ((String) args[0]).replaceFirst("^/", "");
                  Set<String> children = new TreeSet<>();
                  for (String n : names) {
                    if (n.startsWith(dir)) {
                      String rest = n.substring(dir.length());
                      int slash = rest.indexOf('/');
                      children.add(dir + (slash < 0 ? rest : rest.substring(0, slash + 1)));
                    }
                  }
                  return children.isEmpty() ? null : Collections.enumeration(children);
                case "getEntry":
                  String name = ((String) args[0]).replaceFirst("^/", "");
                  return names.contains(name) ? new URL("jar:" + file.toUri() + "!/" + name) : null;
                default:
                  throw new UnsupportedOperationException(method.getName());
              }
            });
  }

  /**
   * A copy of {@code jar}: entries matching {@code replace} get {@code content}, or are dropped.
   */
  private static byte[] rewrite(
      byte[] jar, Predicate<String> replace, byte[] content, String addEntry) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar));
        ZipOutputStream zip = new ZipOutputStream(out)) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        byte[] bytes = in.readAllBytes();
        if (replace.test(e.getName())) {
          if (content == null) {
            continue;
          }
          bytes = content;
        }
        zip.putNextEntry(new ZipEntry(e.getName()));
        zip.write(bytes);
        zip.closeEntry();
      }
      if (addEntry != null) {
        zip.putNextEntry(new ZipEntry(addEntry));
        zip.write(new byte[] {1, 2, 3});
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  private static byte[] tinyBundle() throws IOException {
    return tinyBundle(null, null);
  }

  private static byte[] tinyBundle(String header, String value) throws IOException {
    Manifest m = new Manifest();
    if (header != null) {
      m.getMainAttributes().putValue(header, value);
    }
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
    m.getMainAttributes().putValue("Bundle-SymbolicName", "dev.example.plugin");
    m.getMainAttributes().putValue("Bundle-Version", "1.0.0");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(out, m)) {
      jar.putNextEntry(new ZipEntry("dev/example/plugin/"));
      jar.closeEntry();
      jar.putNextEntry(new ZipEntry(CLASS_ENTRY));
      jar.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 61});
      jar.closeEntry();
      jar.putNextEntry(new ZipEntry("OSGI-INF/thing.xml"));
      jar.write("<component/>".getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
    return out.toByteArray();
  }
}
