package dev.briefcase.plugins.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.briefcase.plugins.internal.PluginTrust.Trust;
import dev.briefcase.plugins.internal.PluginTrust.Verdict;
import dev.briefcase.plugins.internal.TestPki.Identity;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * PKIX validation of a plugin signer's chain, anchored only at the trust store: a forged leaf that
 * names the trusted vendor as its issuer (and carries the vendor's certificate) is untrusted; a
 * genuine leaf issued through an intermediate is trusted; a leaf whose extended key usage leaves
 * out code signing, or that has expired, is untrusted (unless a timestamp from an authority that
 * validates to the trust store puts the signing time inside its validity); a pinned leaf is
 * trusted.
 */
public class PluginChainTest {
  private static final String VENDOR_DN = "CN=Trusted Vendor Root,O=Example";
  private static Identity root;
  private static Identity intermediate;
  private static byte[] plain;

  @BeforeClass
  public static void pki() throws Exception {
    root = TestPki.rootCa(VENDOR_DN);
    intermediate = TestPki.intermediate("CN=Trusted Vendor Signing CA,O=Example", root);
    plain = tinyBundle();
  }

  private static Set<X509Certificate> store() {
    return Set.of(root.cert());
  }

  private static Identity leafUnder(Identity issuer, KeyPurposeId eku, Duration validity)
      throws Exception {
    return TestPki.leaf(
        "CN=Vendor Release Signing,O=Example",
        issuer.cert().getSubjectX500Principal().getName(),
        issuer.key(),
        eku,
        validity);
  }

  @Test
  public void forgedIssuerCarryingTheVendorCertificateIsUntrusted() throws Exception {
    // the attacker's own key; the certificate names the vendor as issuer and is self-made
    java.security.KeyPair attacker = TestPki.keyPair();
    Identity forged =
        TestPki.leaf(
            "CN=Trusted Vendor Root,O=Example",
            VENDOR_DN,
            attacker.getPrivate(),
            KeyPurposeId.id_kp_codeSigning,
            Duration.ofDays(30));
    byte[] jar = TestPki.sign(plain, forged.key(), List.of(forged.cert(), root.cert()));
    Verdict v = PluginTrust.verify(jar, store());
    assertEquals(v.detail(), Trust.UNTRUSTED, v.trust());
    assertTrue(v.detail(), v.detail().contains("does not validate"));
  }

  @Test
  public void intermediateIssuedSignerIsTrusted() throws Exception {
    Identity leaf = leafUnder(intermediate, KeyPurposeId.id_kp_codeSigning, Duration.ofDays(30));
    byte[] jar = TestPki.sign(plain, leaf.key(), List.of(leaf.cert(), intermediate.cert()));
    Verdict v = PluginTrust.verify(jar, store());
    assertEquals(v.detail(), Trust.TRUSTED, v.trust());
    assertEquals(leaf.cert().getSubjectX500Principal().getName(), v.signer());
    assertEquals(PluginTrust.fingerprint(leaf.cert()), v.fingerprint());
    // the root carried in the jar as well changes nothing; without the intermediate, no path
    byte[] withRoot =
        TestPki.sign(plain, leaf.key(), List.of(leaf.cert(), intermediate.cert(), root.cert()));
    assertEquals(Trust.TRUSTED, PluginTrust.verify(withRoot, store()).trust());
    byte[] leafOnly = TestPki.sign(plain, leaf.key(), List.of(leaf.cert()));
    assertEquals(Trust.UNTRUSTED, PluginTrust.verify(leafOnly, store()).trust());
    // trusting the intermediate alone is enough too
    assertEquals(Trust.TRUSTED, PluginTrust.verify(jar, Set.of(intermediate.cert())).trust());
  }

  @Test
  public void anchorFromTheJarIsNeverUsed() throws Exception {
    Identity otherRoot = TestPki.rootCa(VENDOR_DN);
    Identity leaf = leafUnder(otherRoot, KeyPurposeId.id_kp_codeSigning, Duration.ofDays(30));
    byte[] jar = TestPki.sign(plain, leaf.key(), List.of(leaf.cert(), otherRoot.cert()));
    assertEquals(Trust.UNTRUSTED, PluginTrust.verify(jar, store()).trust());
  }

  @Test
  public void leafWithoutCodeSigningUsageIsUntrusted() throws Exception {
    Identity leaf = leafUnder(intermediate, KeyPurposeId.id_kp_serverAuth, Duration.ofDays(30));
    byte[] jar = TestPki.sign(plain, leaf.key(), List.of(leaf.cert(), intermediate.cert()));
    Verdict v = PluginTrust.verify(jar, store());
    assertEquals(v.detail(), Trust.UNTRUSTED, v.trust());
    assertTrue(v.detail(), v.detail().contains("code signing"));
    // no extended key usage at all is allowed; anyExtendedKeyUsage too
    for (KeyPurposeId eku : new KeyPurposeId[] {null, KeyPurposeId.anyExtendedKeyUsage}) {
      Identity ok = leafUnder(intermediate, eku, Duration.ofDays(30));
      byte[] signed = TestPki.sign(plain, ok.key(), List.of(ok.cert(), intermediate.cert()));
      assertEquals(Trust.TRUSTED, PluginTrust.verify(signed, store()).trust());
    }
  }

  @Test
  public void expiredSignerWithoutTimestampIsUntrusted() throws Exception {
    Identity leaf = leafUnder(intermediate, KeyPurposeId.id_kp_codeSigning, Duration.ofDays(30));
    byte[] jar = TestPki.sign(plain, leaf.key(), List.of(leaf.cert(), intermediate.cert()));
    java.util.Date later = java.util.Date.from(java.time.Instant.now().plus(Duration.ofDays(60)));
    Verdict v = PluginTrust.verify(jar, store(), later);
    assertEquals(v.detail(), Trust.UNTRUSTED, v.trust());
  }

  @Test
  public void trustedTimestampMovesTheValidityCheckToTheSigningTime() throws Exception {
    Identity leaf = leafUnder(intermediate, KeyPurposeId.id_kp_codeSigning, Duration.ofDays(30));
    java.util.Date later = java.util.Date.from(java.time.Instant.now().plus(Duration.ofDays(60)));
    // a timestamping authority under the vendor root: its timestamp is honoured
    Identity tsa = TestPki.tsa("CN=Vendor Timestamps,O=Example", root);
    byte[] stamped;
    try (TestTsa server = new TestTsa(tsa, List.of(tsa.cert(), root.cert()))) {
      stamped =
          TestPki.sign(plain, leaf.key(), List.of(leaf.cert(), intermediate.cert()), server.uri());
    }
    Verdict v = PluginTrust.verify(stamped, store(), later);
    assertEquals(v.detail(), Trust.TRUSTED, v.trust());
    // an authority nobody trusts: the timestamp is ignored, the expired signer is not trusted
    Identity selfMade = TestPki.rootCa("CN=Anyone's Timestamps,O=Elsewhere");
    Identity rogue = TestPki.tsa("CN=Rogue Timestamps,O=Elsewhere", selfMade);
    byte[] rogueStamped;
    try (TestTsa server = new TestTsa(rogue, List.of(rogue.cert(), selfMade.cert()))) {
      rogueStamped =
          TestPki.sign(plain, leaf.key(), List.of(leaf.cert(), intermediate.cert()), server.uri());
    }
    assertEquals(Trust.TRUSTED, PluginTrust.verify(rogueStamped, store()).trust());
    assertEquals(Trust.UNTRUSTED, PluginTrust.verify(rogueStamped, store(), later).trust());
  }

  @Test
  public void pinnedLeafIsTrustedWhileValid() throws Exception {
    Identity leaf = leafUnder(intermediate, KeyPurposeId.id_kp_codeSigning, Duration.ofDays(30));
    byte[] jar = TestPki.sign(plain, leaf.key(), List.of(leaf.cert()));
    assertEquals(Trust.TRUSTED, PluginTrust.verify(jar, Set.of(leaf.cert())).trust());
    java.util.Date later = java.util.Date.from(java.time.Instant.now().plus(Duration.ofDays(60)));
    assertEquals(Trust.UNTRUSTED, PluginTrust.verify(jar, Set.of(leaf.cert()), later).trust());
  }

  private static byte[] tinyBundle() throws Exception {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
    m.getMainAttributes().putValue("Bundle-SymbolicName", "dev.example.chain");
    m.getMainAttributes().putValue("Bundle-Version", "1.0.0");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(out, m)) {
      jar.putNextEntry(new ZipEntry("dev/example/chain/Thing.class"));
      jar.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 61});
      jar.closeEntry();
      jar.putNextEntry(new ZipEntry("OSGI-INF/thing.xml"));
      jar.write("<component/>".getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
    return out.toByteArray();
  }
}
