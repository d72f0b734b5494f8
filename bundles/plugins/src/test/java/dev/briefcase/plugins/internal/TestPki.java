package dev.briefcase.plugins.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipFile;
import javax.security.auth.x500.X500Principal;
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

/** Certificates made at test time with BouncyCastle, and jars signed with the JDK's JarSigner. */
final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestPki() {}

  /** A key pair and its certificate. */
  record Identity(KeyPair keys, X509Certificate cert) {
    PrivateKey key() {
      return keys.getPrivate();
    }
  }

  static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A self-signed CA certificate. */
  static Identity rootCa(String dn) throws Exception {
    KeyPair kp = keyPair();
    return new Identity(kp, cert(dn, dn, kp, kp.getPrivate(), true, null, Duration.ofDays(30)));
  }

  /** A CA certificate issued by {@code issuer}. */
  static Identity intermediate(String dn, Identity issuer) throws Exception {
    KeyPair kp = keyPair();
    return new Identity(
        kp,
        cert(
            dn,
            issuer.cert().getSubjectX500Principal().getName(),
            kp,
            issuer.key(),
            true,
            null,
            Duration.ofDays(30)));
  }

  /**
   * A leaf issued in the name of {@code issuerDn} and signed by {@code signingKey}; {@code eku}
   * null means no extended key usage extension.
   */
  static Identity leaf(
      String dn, String issuerDn, PrivateKey signingKey, KeyPurposeId eku, Duration validity)
      throws Exception {
    KeyPair kp = keyPair();
    return new Identity(kp, cert(dn, issuerDn, kp, signingKey, false, eku, validity));
  }

  /** A time-stamping authority's certificate (critical EKU timeStamping, as RFC 3161 asks). */
  static Identity tsa(String dn, Identity issuer) throws Exception {
    KeyPair kp = keyPair();
    return new Identity(
        kp,
        cert(
            dn,
            issuer.cert().getSubjectX500Principal().getName(),
            kp,
            issuer.key(),
            false,
            KeyPurposeId.id_kp_timeStamping,
            Duration.ofDays(365)));
  }

  private static X509Certificate cert(
      String subject,
      String issuer,
      KeyPair subjectKeys,
      PrivateKey signingKey,
      boolean ca,
      KeyPurposeId eku,
      Duration validity)
      throws Exception {
    Instant now = Instant.now();
    Instant notBefore = validity.isNegative() ? now.plus(validity).minus(Duration.ofDays(1)) : now;
    Instant notAfter =
        validity.isNegative() ? now.plus(validity) : now.plus(validity).plusSeconds(60);
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name(issuer),
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(notBefore.minusSeconds(60)),
            Date.from(notAfter),
            name(subject),
            subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    if (eku != null) {
      boolean critical = eku.equals(KeyPurposeId.id_kp_timeStamping);
      b.addExtension(Extension.extendedKeyUsage, critical, new ExtendedKeyUsage(eku));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signingKey)));
  }

  /** The name as the JDK encodes it, so BouncyCastle and the JDK agree on its bytes. */
  private static X500Name name(String dn) {
    return X500Name.getInstance(new X500Principal(dn).getEncoded());
  }

  /** {@code jar} signed with {@code key}, the signature block carrying {@code chain} as given. */
  static byte[] sign(byte[] jar, PrivateKey key, List<X509Certificate> chain) throws Exception {
    return sign(jar, key, chain, null);
  }

  /** As {@link #sign(byte[], PrivateKey, List)}, timestamped by {@code tsa} when not null. */
  static byte[] sign(byte[] jar, PrivateKey key, List<X509Certificate> chain, URI tsa)
      throws Exception {
    Path in = Files.createTempFile("unsigned", ".jar");
    try {
      Files.write(in, jar);
      JarSigner.Builder builder =
          new JarSigner.Builder(
                  key, CertificateFactory.getInstance("X.509").generateCertPath(chain))
              .digestAlgorithm("SHA-256")
              .signatureAlgorithm("SHA256withECDSA")
              .signerName("VENDOR");
      if (tsa != null) {
        builder.tsa(tsa);
      }
      JarSigner signer = builder.build();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ZipFile zip = new ZipFile(in.toFile())) {
        signer.sign(zip, out);
      }
      return out.toByteArray();
    } finally {
      Files.deleteIfExists(in);
    }
  }

  static void write(Path file, X509Certificate cert) throws IOException {
    try {
      Files.write(file, cert.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }
}
