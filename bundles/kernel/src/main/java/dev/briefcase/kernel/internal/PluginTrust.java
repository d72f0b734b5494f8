package dev.briefcase.kernel.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.osgi.framework.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a plugin jar is signed by a trusted vendor. A jar is {@code trusted} when every entry
 * (except the signature files themselves) is signed and matches its signed digest, and every
 * entry's signer chain contains a certificate from the trust store; {@code unsigned} when nothing
 * is signed; {@code tampered} when content does not match its signature (a changed, added or
 * removed entry, or a broken signature block); {@code untrusted} when it is signed, intact, but by
 * nobody in the trust store. Stateless and thread-safe.
 */
final class PluginTrust {
  private static final Logger LOG = LoggerFactory.getLogger(PluginTrust.class);

  private PluginTrust() {}

  /** What a jar's signature says. */
  enum Trust {
    TRUSTED,
    UNSIGNED,
    TAMPERED,
    UNTRUSTED;

    /** The receipt and error-message spelling. */
    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The verdict on one jar.
   *
   * @param trust the outcome
   * @param signer subject DN of the trusted signer's leaf certificate, or of the first signer when
   *     untrusted; {@code null} when unsigned or tampered
   * @param fingerprint SHA-256 (hex) of that leaf certificate, or {@code null}
   * @param detail a one-line, secret-free explanation
   */
  record Verdict(Trust trust, String signer, String fingerprint, String detail) {
    boolean trusted() {
      return trust == Trust.TRUSTED;
    }

    static Verdict of(Trust trust, String detail) {
      return new Verdict(trust, null, null, detail);
    }
  }

  /**
   * The X.509 certificates (PEM or DER, any file name) in {@code dir}. A missing directory is an
   * empty trust store; a file that is not a certificate is skipped with a warning.
   */
  static Set<X509Certificate> loadTrustStore(Path dir) {
    Set<X509Certificate> out = new HashSet<>();
    if (dir == null || !Files.isDirectory(dir)) {
      return out;
    }
    CertificateFactory cf;
    try {
      cf = CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("X.509 is missing from this JVM", e);
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        if (!Files.isRegularFile(file)) {
          continue;
        }
        try (InputStream in = Files.newInputStream(file)) {
          // generateCertificates reads both PEM (several blocks) and DER
          for (Certificate c : cf.generateCertificates(in)) {
            if (c instanceof X509Certificate x) {
              out.add(x);
            }
          }
        } catch (IOException | CertificateException e) {
          LOG.warn("trust store: {} is not an X.509 certificate; ignored", file.getFileName());
        }
      }
    } catch (IOException e) {
      LOG.warn("trust store {} cannot be read: {}", dir, e.getMessage());
    }
    return out;
  }

  /** Verifies a jar's bytes against the trusted certificates. */
  static Verdict verify(byte[] jar, Collection<X509Certificate> trusted) {
    Manifest manifest;
    List<String> unsigned = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    X509Certificate trustedLeaf = null;
    X509Certificate foreignLeaf = null;
    String untrustedEntry = null;
    int signed = 0;
    try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar), true)) {
      manifest = in.getManifest();
      if (manifest == null) {
        return Verdict.of(Trust.UNSIGNED, "no manifest");
      }
      byte[] buf = new byte[8192];
      JarEntry entry;
      while ((entry = in.getNextJarEntry()) != null) {
        // reading to the end is what makes JarInputStream check the entry's digest
        while (in.read(buf) >= 0) {
          // drain
        }
        String name = entry.getName();
        if (entry.isDirectory() || isSignatureFile(name)) {
          continue;
        }
        seen.add(name);
        CodeSigner[] signers = entry.getCodeSigners();
        if (signers == null || signers.length == 0) {
          unsigned.add(name);
          continue;
        }
        signed++;
        X509Certificate leaf = trustedLeaf(signers, trusted);
        if (leaf == null) {
          if (untrustedEntry == null) {
            untrustedEntry = name;
            foreignLeaf = leafOf(signers[0]);
          }
        } else if (trustedLeaf == null) {
          trustedLeaf = leaf;
        }
      }
    } catch (SecurityException e) {
      return Verdict.of(Trust.TAMPERED, oneLine(e.getMessage()));
    } catch (IOException e) {
      return Verdict.of(Trust.UNSIGNED, "not a readable jar");
    }
    if (signed == 0) {
      return Verdict.of(Trust.UNSIGNED, "no signed entries");
    }
    if (!unsigned.isEmpty()) {
      return Verdict.of(Trust.TAMPERED, "entry " + unsigned.get(0) + " is not signed");
    }
    for (Map.Entry<String, Attributes> e : manifest.getEntries().entrySet()) {
      if (hasDigest(e.getValue()) && !seen.contains(e.getKey()) && !e.getKey().endsWith("/")) {
        return Verdict.of(Trust.TAMPERED, "signed entry " + e.getKey() + " is missing");
      }
    }
    if (untrustedEntry != null) {
      return new Verdict(
          Trust.UNTRUSTED,
          foreignLeaf == null ? null : foreignLeaf.getSubjectX500Principal().getName(),
          foreignLeaf == null ? null : fingerprint(foreignLeaf),
          "signer is not in the trust store");
    }
    return new Verdict(
        Trust.TRUSTED,
        trustedLeaf.getSubjectX500Principal().getName(),
        fingerprint(trustedLeaf),
        "signed by a trusted vendor");
  }

  /**
   * Verifies an installed bundle from its entries (see {@link #rebuild}). Content that cannot be
   * read is {@code unsigned}; an entry URL that itself refuses to read tampered content is {@code
   * tampered}.
   */
  static Verdict verifyInstalled(Bundle bundle, Collection<X509Certificate> trusted) {
    try {
      return verify(rebuild(bundle), trusted);
    } catch (SecurityException e) {
      return Verdict.of(Trust.TAMPERED, oneLine(e.getMessage()));
    } catch (IOException | RuntimeException e) {
      return Verdict.of(Trust.UNSIGNED, "bundle content cannot be read");
    }
  }

  /**
   * Rebuilds a jar from an installed bundle's entries (manifest first, then the signature files,
   * then everything else) so it can be verified when the original bytes are not at hand, e.g. a
   * plugin restored from the framework cache after a restart. Uses {@code getEntryPaths} / {@code
   * getEntry}, which never trigger resolution, so it is safe inside a resolver hook.
   */
  static byte[] rebuild(Bundle bundle) throws IOException {
    List<String> paths = new ArrayList<>();
    collect(bundle, "/", paths);
    List<String> ordered = new ArrayList<>();
    if (paths.remove("META-INF/MANIFEST.MF")) {
      ordered.add("META-INF/MANIFEST.MF");
    }
    for (String p : List.copyOf(paths)) {
      if (isSignatureFile(p)) {
        ordered.add(p);
        paths.remove(p);
      }
    }
    ordered.addAll(paths);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream out = new JarOutputStream(bytes)) {
      for (String p : ordered) {
        URL url = bundle.getEntry(p);
        if (url == null) {
          continue;
        }
        out.putNextEntry(new ZipEntry(p));
        try (InputStream in = url.openStream()) {
          in.transferTo(out);
        }
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static void collect(Bundle bundle, String dir, List<String> out) {
    Enumeration<String> paths = bundle.getEntryPaths(dir);
    if (paths == null) {
      return;
    }
    while (paths.hasMoreElements()) {
      String p = paths.nextElement();
      if (p.endsWith("/")) {
        collect(bundle, p, out);
      } else {
        out.add(p.startsWith("/") ? p.substring(1) : p);
      }
    }
  }

  /** The files jarsigner writes: they carry the signature and are not themselves signed. */
  static boolean isSignatureFile(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    if (!upper.startsWith("META-INF/") || upper.indexOf('/', "META-INF/".length()) >= 0) {
      return false;
    }
    String file = upper.substring("META-INF/".length());
    return file.equals("MANIFEST.MF")
        || file.startsWith("SIG-")
        || file.endsWith(".SF")
        || file.endsWith(".RSA")
        || file.endsWith(".DSA")
        || file.endsWith(".EC");
  }

  private static boolean hasDigest(Attributes attributes) {
    for (Object key : attributes.keySet()) {
      if (key.toString().toUpperCase(Locale.ROOT).endsWith("-DIGEST")) {
        return true;
      }
    }
    return false;
  }

  /** The leaf of the first signer whose chain holds a trusted certificate, or {@code null}. */
  private static X509Certificate trustedLeaf(
      CodeSigner[] signers, Collection<X509Certificate> trusted) {
    for (CodeSigner signer : signers) {
      for (Certificate c : signer.getSignerCertPath().getCertificates()) {
        if (trusted.contains(c)) {
          return leafOf(signer);
        }
      }
    }
    return null;
  }

  private static X509Certificate leafOf(CodeSigner signer) {
    List<? extends Certificate> chain = signer.getSignerCertPath().getCertificates();
    return !chain.isEmpty() && chain.get(0) instanceof X509Certificate x ? x : null;
  }

  static String fingerprint(X509Certificate cert) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint a certificate", e);
    }
  }

  private static String oneLine(String s) {
    String line = s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ").strip();
    return line.length() <= 200 ? line : line.substring(0, 200);
  }
}
