package dev.briefcase.itests.attack;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipFile;
import javax.security.auth.x500.X500Principal;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import jdk.security.jarsigner.JarSigner;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue items 1 and 2, in the strict profile ({@code ga}) with a trust directory holding only the
 * vendor's root CA certificate.
 *
 * <p>Forged chain: a jar signed with an attacker's key whose certificate names the vendor root as
 * its issuer, the signature block carrying the vendor root's certificate too, is refused {@code
 * untrusted_plugin}, receipted, and never starts; so is a genuine vendor leaf without the
 * code-signing extended key usage; a genuine leaf issued through the vendor's intermediate (the jar
 * carries leaf + intermediate) installs and serves.
 *
 * <p>Two views of one zip: the genuinely vendor-signed jar (carrying its whole chain) with a
 * replacement class entry and a second central directory appended (built byte by byte) is refused
 * {@code malformed_plugin} through {@code POST /v1/plugins} and kept from resolving when dropped
 * into {@code deploy/}; a zip bomb is refused {@code plugin_too_large} within seconds, and the
 * plugin service answers at once afterwards.
 */
public class PluginTrustAttackIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final String CONNECTOR = "dev.briefcase.itests.connector";
  private static final String PING = "{\"call\":{\"tool_id\":\"extra_ping\",\"args\":{}}}";
  private static final String PONG = "{\"call\":{\"tool_id\":\"extra_pong\",\"args\":{}}}";
  private static final String REPLACED = "dev/briefcase/itests/connector/internal/ExtraTools.class";
  private static final String ROOT_DN = "CN=Attack Test Vendor Root,O=Example";
  private static final String LEAF_DN = "CN=Attack Test Vendor Release Signing,O=Example";

  private static Path trustDir;
  private static byte[] genuine;
  private static byte[] genuineWithRoot;
  private static byte[] forged;
  private static byte[] noCodeSigning;
  private static byte[] twoViews;

  @BeforeClass
  public static void buildJars() throws Exception {
    Path jar = FeatureBundles.testConnector();
    KeyPair rootKeys = keyPair();
    X509Certificate root = cert(ROOT_DN, ROOT_DN, rootKeys, rootKeys.getPrivate(), true, null);
    KeyPair caKeys = keyPair();
    X509Certificate intermediate =
        cert(
            "CN=Attack Test Vendor Signing CA,O=Example",
            ROOT_DN,
            caKeys,
            rootKeys.getPrivate(),
            true,
            null);
    String caDn = intermediate.getSubjectX500Principal().getName();
    KeyPair leafKeys = keyPair();
    X509Certificate leaf =
        cert(LEAF_DN, caDn, leafKeys, caKeys.getPrivate(), false, KeyPurposeId.id_kp_codeSigning);
    KeyPair tlsKeys = keyPair();
    X509Certificate tlsLeaf =
        cert(LEAF_DN, caDn, tlsKeys, caKeys.getPrivate(), false, KeyPurposeId.id_kp_serverAuth);
    // the attacker's own key, in a certificate that claims the vendor root as its issuer
    KeyPair attacker = keyPair();
    X509Certificate forgedCert =
        cert(
            LEAF_DN,
            ROOT_DN,
            attacker,
            attacker.getPrivate(),
            false,
            KeyPurposeId.id_kp_codeSigning);

    trustDir = Files.createDirectories(TMP.getRoot().toPath().resolve("trust"));
    Files.writeString(trustDir.resolve("vendor-root.pem"), pem(root), StandardCharsets.US_ASCII);

    genuine = sign(jar, leafKeys.getPrivate(), List.of(leaf, intermediate));
    // the whole chain in the block: trusted before and after PKIX, so the zip attack stands alone
    genuineWithRoot = sign(jar, leafKeys.getPrivate(), List.of(leaf, intermediate, root));
    noCodeSigning = sign(jar, tlsKeys.getPrivate(), List.of(tlsLeaf, intermediate));
    forged = sign(jar, attacker.getPrivate(), List.of(forgedCert, root));
    twoViews =
        appendSecondDirectory(genuineWithRoot, REPLACED, pong(entry(genuineWithRoot, REPLACED)));
  }

  @Test
  public void forgedChainIsRefusedAndAGenuineIntermediateIssuedSignerServes() throws Exception {
    try (Distribution d = strict("briefcase-attack-chain")) {
      for (byte[] jar : new byte[][] {forged, noCodeSigning}) {
        Distribution.Answer a = d.postBytes("/v1/plugins", jar, "application/java-archive");
        assertEquals(a.body(), 400, a.status());
        assertEquals(a.body(), "untrusted_plugin", a.json().path("code").asText());
        assertTrue(a.body(), a.json().path("message").asText().contains("untrusted"));
        assertFalse("nothing installed", listed(d));
        assertEquals("never starts", "denied", status(d, PING));
      }
      JsonNode r = receipt(d, "refused_install", "admin-api", "untrusted");
      assertNotNull("the forged jar's refusal is receipted", r);
      assertEquals(r.toString(), LEAF_DN, r.path("signer").asText());
      assertEquals(r.toString(), 64, r.path("sha256_hex").asText().length());

      Distribution.Answer ok = d.postBytes("/v1/plugins", genuine, "application/java-archive");
      assertEquals(ok.body(), 200, ok.status());
      assertEquals("active", ok.json().path("state").asText());
      assertEquals("ok", status(d, PING));
      JsonNode installed = receipt(d, "install", "admin-api", null);
      assertNotNull(installed);
      assertEquals(installed.toString(), "trusted", installed.path("trust").asText());
      assertEquals(installed.toString(), LEAF_DN, installed.path("signer").asText());
      assertTrue(d.post("/v1/receipts/verify", "").json().get("ok").asBoolean());
    }
  }

  @Test
  public void twoViewsOfOneZipAndZipBombsAreRefused() throws Exception {
    try (Distribution d = strict("briefcase-attack-zip")) {
      // the admin API door
      Distribution.Answer a = d.postBytes("/v1/plugins", twoViews, "application/java-archive");
      assertEquals(a.body(), 400, a.status());
      assertEquals(a.body(), "malformed_plugin", a.json().path("code").asText());
      assertFalse("nothing installed", listed(d));
      assertEquals("denied", status(d, PING));
      assertFalse("the replacement never runs", "ok".equals(status(d, PONG)));
      JsonNode r = receipt(d, "refused_install", "admin-api", "malformed");
      assertNotNull("the refusal is receipted", r);
      assertEquals(r.toString(), 64, r.path("sha256_hex").asText().length());

      // zip bombs: declared honestly (1 GiB) and lying about their size; both fail fast
      for (boolean honest : new boolean[] {true, false}) {
        byte[] bomb = bomb(1L << 30, honest);
        long start = System.nanoTime();
        Distribution.Answer b = d.postBytes("/v1/plugins", bomb, "application/java-archive");
        long millis = (System.nanoTime() - start) / 1_000_000;
        String code = honest ? "plugin_too_large" : "malformed_plugin";
        assertEquals(b.body(), code, b.json().path("code").asText());
        assertTrue("refused in " + millis + " ms", millis < 10_000);
      }
      assertNotNull(receipt(d, "refused_install", "admin-api", "too_large"));

      // File Install's door: installed by File Install, never resolved, receipted as refused
      Path tmp = d.dataDir.resolve("dropped.jar.tmp");
      Files.write(tmp, twoViews);
      Files.move(tmp, d.dataDir.resolve("deploy/connector.jar"), StandardCopyOption.ATOMIC_MOVE);
      waitFor(
          () -> receipt(d, "refused_install", "deploy-dir", "malformed") != null,
          "the deploy-dir refusal receipt");
      // File Install retries the start every 500 ms: it must keep failing
      long until = System.nanoTime() + 3_000_000_000L;
      while (System.nanoTime() < until) {
        assertEquals("denied", status(d, PING));
        assertFalse("ok".equals(status(d, PONG)));
        Thread.sleep(200);
      }
      for (JsonNode p : d.get("/v1/plugins").json().get("plugins")) {
        if (CONNECTOR.equals(p.path("symbolic_name").asText())) {
          assertEquals(p.toString(), "installed", p.path("state").asText());
        }
      }
      String receipts = d.get("/v1/receipts?limit=200").body();
      assertFalse(receipts, receipts.contains("\"action\":\"start\""));
      Files.delete(d.dataDir.resolve("deploy/connector.jar"));
      waitFor(() -> !listed(d), "the refused deploy-dir bundle to be uninstalled");

      // the same vendor's unaltered jar, through the same door, resolves and serves: the gate's
      // re-check through the framework passes it and nothing of the refused one was left behind
      Files.write(tmp, genuineWithRoot);
      Files.move(tmp, d.dataDir.resolve("deploy/connector.jar"), StandardCopyOption.ATOMIC_MOVE);
      waitFor(() -> "ok".equals(status(d, PING)), "the genuine deploy-dir bundle to serve");
      assertNotNull(receipt(d, "start", "deploy-dir", null));
      assertTrue(d.post("/v1/receipts/verify", "").json().get("ok").asBoolean());
    }
  }

  @Test
  public void extensionBundleNeverRunsItsActivator() throws Exception {
    try (Distribution d = strict("briefcase-attack-extension")) {
      Path marker = d.dataDir.resolve("extension-activator-ran");
      byte[] extension = extensionBundle(marker);

      // the admin API door
      Distribution.Answer a = d.postBytes("/v1/plugins", extension, "application/java-archive");
      assertEquals(a.body(), 400, a.status());
      assertEquals(a.body(), "malformed_plugin", a.json().path("code").asText());
      assertTrue(a.body(), a.json().path("message").asText().contains("extension"));
      assertNotNull(
          "the refusal is receipted", receipt(d, "refused_install", "admin-api", "malformed"));

      // File Install's door: the framework (felix.extensions.disable) refuses to install it at
      // all, so it is never attached to the system bundle; File Install polls every 100 ms and
      // retries, so the activator must stay silent over the whole window
      Path tmp = d.dataDir.resolve("dropped.jar.tmp");
      Files.write(tmp, extension);
      Files.move(tmp, d.dataDir.resolve("deploy/evil-ext.jar"), StandardCopyOption.ATOMIC_MOVE);
      long until = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() < until) {
        assertFalse("the extension activator ran", Files.exists(marker));
        assertEquals("the daemon keeps serving", 200, d.get("/v1/plugins").status());
        Thread.sleep(200);
      }
      for (JsonNode p : d.get("/v1/plugins").json().get("plugins")) {
        assertFalse("never installed: " + p, "evil.ext".equals(p.path("symbolic_name").asText()));
      }
      assertFalse("the extension activator ran", Files.exists(marker));
      assertTrue(d.post("/v1/receipts/verify", "").json().get("ok").asBoolean());
    }
  }

  @Test
  public void secondViewHiddenInTheEndRecordCommentIsRefused() throws Exception {
    byte[] hidden = hideSecondViewInComment(genuineWithRoot);
    try (Distribution d = strict("briefcase-attack-comment")) {
      Distribution.Answer a = d.postBytes("/v1/plugins", hidden, "application/java-archive");
      assertEquals(a.body(), 400, a.status());
      assertEquals(a.body(), "malformed_plugin", a.json().path("code").asText());
      assertFalse("nothing installed", listed(d));
      assertNotNull(
          "the refusal is receipted", receipt(d, "refused_install", "admin-api", "malformed"));
      // the unaltered jar still installs: nothing of the refused one was left behind
      Distribution.Answer ok =
          d.postBytes("/v1/plugins", genuineWithRoot, "application/java-archive");
      assertEquals(ok.body(), 200, ok.status());
      assertEquals("ok", status(d, PING));
    }
  }

  private static Distribution strict(String name) throws Exception {
    return new Distribution(Files.createTempDirectory(name))
        .env("BRIEFCASE_PROFILE_MODE", "ga")
        .env("BRIEFCASE_MASTER_PASSPHRASE", "itest-passphrase")
        .env("BRIEFCASE_PLUGIN_TRUST_DIR", trustDir.toString())
        .start();
  }

  // ---- the hostile zips, byte by byte ----

  /**
   * {@code signed} as it is, then a stored local entry with {@code replacement} under {@code name},
   * then a second central directory that names the original entries except {@code name}, which
   * points at the replacement, then a second end record. A front-to-back reader sees the signed
   * jar; a central-directory reader loads the replacement.
   */
  static byte[] appendSecondDirectory(byte[] signed, String name, byte[] replacement)
      throws IOException {
    int end = signed.length - 22;
    assertEquals("no comment in the signed jar", 0x06054b50, u32(signed, end));
    int count = u16(signed, end + 10);
    int cdOffset = (int) u32(signed, end + 16);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(signed);
    int replacementAt = out.size();
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    CRC32 crc = new CRC32();
    crc.update(replacement);
    out.write(header(false, n, 0, crc.getValue(), replacement.length, replacement.length, 0));
    out.write(replacement);
    int cd2 = out.size();
    boolean replaced = false;
    for (int i = 0, p = cdOffset; i < count; i++) {
      int len = 46 + u16(signed, p + 28) + u16(signed, p + 30) + u16(signed, p + 32);
      byte[] entryName = Arrays.copyOfRange(signed, p + 46, p + 46 + u16(signed, p + 28));
      if (Arrays.equals(entryName, n)) {
        out.write(
            header(
                true, n, 0, crc.getValue(), replacement.length, replacement.length, replacementAt));
        replaced = true;
      } else {
        out.write(signed, p, len);
      }
      p += len;
    }
    assertTrue(name + " is in the jar", replaced);
    int cdSize = out.size() - cd2;
    Le e = new Le();
    e.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(cdSize).u32(cd2).u16(0);
    out.write(e.out.toByteArray());
    return out.toByteArray();
  }

  /**
   * {@code signed} with its end record's comment holding a second view: a stored manifest with
   * another {@code Bundle-Version}, a central directory naming it in place of the signed one and a
   * second end record, then four bytes, so the hidden end record does not end the file. {@link
   * ZipFile} (the framework's reader) takes the hidden end record.
   */
  static byte[] hideSecondViewInComment(byte[] signed) throws IOException {
    int end = signed.length - 22;
    assertEquals("no comment in the signed jar", 0x06054b50, u32(signed, end));
    int count = u16(signed, end + 10);
    int cdOffset = (int) u32(signed, end + 16);
    String mfName = "META-INF/MANIFEST.MF";
    byte[] n = mfName.getBytes(StandardCharsets.UTF_8);
    byte[] mf =
        new String(entry(signed, mfName), StandardCharsets.UTF_8)
            .replaceFirst("Bundle-Version: ", "Bundle-Version: 6.6.6.twoview\r\nX-Orig-Version: ")
            .getBytes(StandardCharsets.UTF_8);
    CRC32 crc = new CRC32();
    crc.update(mf);
    int commentStart = signed.length;
    ByteArrayOutputStream comment = new ByteArrayOutputStream();
    comment.write(header(false, n, 0, crc.getValue(), mf.length, mf.length, 0));
    comment.write(mf);
    int cd2 = comment.size();
    boolean replaced = false;
    for (int i = 0, p = cdOffset; i < count; i++) {
      int len = 46 + u16(signed, p + 28) + u16(signed, p + 30) + u16(signed, p + 32);
      byte[] entryName = Arrays.copyOfRange(signed, p + 46, p + 46 + u16(signed, p + 28));
      if (Arrays.equals(entryName, n)) {
        comment.write(header(true, n, 0, crc.getValue(), mf.length, mf.length, commentStart));
        replaced = true;
      } else {
        comment.write(signed, p, len);
      }
      p += len;
    }
    assertTrue("the jar has a manifest", replaced);
    Le e = new Le();
    e.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count);
    e.u32(comment.size() - cd2).u32(commentStart + cd2).u16(0);
    comment.write(e.out.toByteArray());
    comment.write(new byte[4]);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(signed, 0, signed.length - 2);
    new Le().u16(comment.size()).out.writeTo(out);
    comment.writeTo(out);
    byte[] zip = out.toByteArray();
    String seen = new String(entry(zip, mfName), StandardCharsets.UTF_8);
    assertTrue("ZipFile sees the hidden view", seen.contains("6.6.6.twoview"));
    return zip;
  }

  /**
   * An unsigned framework extension bundle whose activator class writes {@code marker} as soon as
   * it is loaded (a static initializer: running any of its code is the attack).
   */
  static byte[] extensionBundle(Path marker) throws Exception {
    Path src = TMP.newFolder().toPath();
    Path java = Files.createDirectories(src.resolve("evil")).resolve("Act.java");
    Files.writeString(
        java,
        "package evil;\n"
            + "public class Act {\n"
            + "  static {\n"
            + "    try {\n"
            + "      java.nio.file.Files.writeString(java.nio.file.Path.of(\""
            + marker.toString().replace("\\", "\\\\")
            + "\"), \"ran\");\n"
            + "    } catch (java.io.IOException e) {\n"
            + "      throw new RuntimeException(e);\n"
            + "    }\n"
            + "  }\n"
            + "}\n");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull("a JDK compiler", javac);
    assertEquals(
        0, javac.run(null, null, null, "--release", "11", "-d", src.toString(), java.toString()));
    Manifest m = new Manifest();
    Attributes main = m.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.putValue("Bundle-ManifestVersion", "2");
    main.putValue("Bundle-SymbolicName", "evil.ext");
    main.putValue("Bundle-Version", "1.0.0");
    main.putValue("Fragment-Host", "system.bundle; extension:=framework");
    main.putValue("ExtensionBundle-Activator", "evil.Act");
    main.putValue("Export-Package", "evil");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(out, m)) {
      jar.putNextEntry(new JarEntry("evil/Act.class"));
      jar.write(Files.readAllBytes(src.resolve("evil/Act.class")));
      jar.closeEntry();
    }
    return out.toByteArray();
  }

  /** One deflated entry of {@code size} zero bytes; declared honestly or as 1 KiB. */
  static byte[] bomb(long size, boolean honest) throws IOException {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    byte[] zeros = new byte[1 << 20];
    byte[] buf = new byte[1 << 16];
    CRC32 crc = new CRC32();
    for (long left = size; left > 0; left -= zeros.length) {
      d.setInput(zeros);
      crc.update(zeros);
      while (!d.needsInput()) {
        data.write(buf, 0, d.deflate(buf));
      }
    }
    d.finish();
    while (!d.finished()) {
      data.write(buf, 0, d.deflate(buf));
    }
    d.end();
    byte[] compressed = data.toByteArray();
    long declared = honest ? size : 1024;
    byte[] n = "bomb.bin".getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(header(false, n, 8, crc.getValue(), compressed.length, declared, 0));
    out.write(compressed);
    int cd = out.size();
    out.write(header(true, n, 8, crc.getValue(), compressed.length, declared, 0));
    Le e = new Le();
    e.u32(0x06054b50).u16(0).u16(0).u16(1).u16(1).u32(out.size() - cd).u32(cd).u16(0);
    out.write(e.out.toByteArray());
    return out.toByteArray();
  }

  private static byte[] header(
      boolean central, byte[] name, int method, long crc, long compressed, long size, long offset) {
    Le b = new Le();
    b.u32(central ? 0x02014b50 : 0x04034b50);
    if (central) {
      b.u16(20);
    }
    b.u16(20).u16(1 << 11).u16(method).u16(0).u16(0x21);
    b.u32(crc).u32(compressed).u32(size).u16(name.length).u16(0);
    if (central) {
      b.u16(0).u16(0).u16(0).u32(0).u32(offset);
    }
    b.out.write(name, 0, name.length);
    return b.out.toByteArray();
  }

  /** The class with its tool renamed: a working class the vendor never signed. */
  private static byte[] pong(byte[] classBytes) {
    byte[] from = "extra_ping".getBytes(StandardCharsets.US_ASCII);
    byte[] to = "extra_pong".getBytes(StandardCharsets.US_ASCII);
    byte[] out = classBytes.clone();
    for (int i = 0; i + from.length <= out.length; i++) {
      if (Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
        System.arraycopy(to, 0, out, i, to.length);
        return out;
      }
    }
    throw new AssertionError("extra_ping not found in the class");
  }

  private static byte[] entry(byte[] jar, String name) throws IOException {
    Path f = TMP.newFile().toPath();
    Files.write(f, jar);
    try (ZipFile z = new ZipFile(f.toFile())) {
      return z.getInputStream(z.getEntry(name)).readAllBytes();
    }
  }

  private static int u16(byte[] a, int p) {
    return (a[p] & 0xff) | (a[p + 1] & 0xff) << 8;
  }

  private static long u32(byte[] a, int p) {
    return u16(a, p) | (long) u16(a, p + 2) << 16;
  }

  private static final class Le {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Le u16(int v) {
      out.write(v & 0xff);
      out.write((v >>> 8) & 0xff);
      return this;
    }

    Le u32(long v) {
      u16((int) (v & 0xffff));
      return u16((int) ((v >>> 16) & 0xffff));
    }
  }

  // ---- certificates and signing ----

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate cert(
      String subject,
      String issuer,
      KeyPair subjectKeys,
      PrivateKey signingKey,
      boolean ca,
      KeyPurposeId eku)
      throws Exception {
    Instant now = Instant.now();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            X500Name.getInstance(new X500Principal(issuer).getEncoded()),
            BigInteger.valueOf(System.nanoTime()),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(30))),
            X500Name.getInstance(new X500Principal(subject).getEncoded()),
            subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    if (eku != null) {
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signingKey)));
  }

  /** The jar signed with {@code key}; the signature block carries {@code chain} as given. */
  private static byte[] sign(Path jar, PrivateKey key, List<X509Certificate> chain)
      throws Exception {
    JarSigner signer =
        new JarSigner.Builder(key, CertificateFactory.getInstance("X.509").generateCertPath(chain))
            .digestAlgorithm("SHA-256")
            .signatureAlgorithm("SHA256withECDSA")
            .signerName("VENDOR")
            .build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      signer.sign(zip, out);
    }
    return out.toByteArray();
  }

  private static String pem(X509Certificate c) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(c.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  // ---- observing the distribution ----

  /** A plugin_lifecycle receipt event with this action, actor and reason (null: none), or null. */
  private static JsonNode receipt(Distribution d, String action, String actor, String reason)
      throws Exception {
    for (JsonNode r : d.get("/v1/receipts?limit=200").json().path("receipts")) {
      JsonNode e = r.path("event");
      if ("plugin_lifecycle".equals(e.path("type").asText())
          && action.equals(e.path("action").asText())
          && actor.equals(e.path("actor").asText())
          && (reason == null ? !e.has("reason") : reason.equals(e.path("reason").asText()))) {
        return e;
      }
    }
    return null;
  }

  private static boolean listed(Distribution d) throws Exception {
    for (JsonNode p : d.get("/v1/plugins").json().get("plugins")) {
      if (CONNECTOR.equals(p.path("symbolic_name").asText())) {
        return true;
      }
    }
    return false;
  }

  private static String status(Distribution d, String call) throws Exception {
    return d.post("/v1/tools/call", call).json().path("status").asText();
  }
}
