package dev.briefcase.plugins.internal;

import dev.briefcase.edge.OneLine;
import dev.briefcase.plugins.PluginException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Timestamp;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.osgi.framework.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a plugin jar is signed by a trusted vendor. First the zip itself: {@link ZipLayout}
 * refuses a jar whose front-to-back and central-directory views could differ ({@code malformed}) or
 * that is over the entry or inflated-size cap ({@code too_large}). Then a jar is {@code trusted}
 * when every entry (except the signature files themselves) is signed and matches its signed digest,
 * and every entry has a signer whose certificate chain validates (PKIX, see {@link #chainProblem})
 * to a certificate of the trust store; {@code unsigned} when nothing is signed; {@code tampered}
 * when content does not match its signature (a changed, added or removed entry, or a broken
 * signature block); {@code untrusted} when it is signed, intact, but by nobody whose chain leads to
 * the trust store. Stateless and thread-safe.
 */
final class PluginTrust {
  private static final Logger LOG = LoggerFactory.getLogger(PluginTrust.class);

  /** The longest detail a refusal or failure carries (one line, see OneLine). */
  private static final int MAX_DETAIL = 200;

  private PluginTrust() {}

  /** What a jar's signature says. */
  enum Trust {
    TRUSTED,
    UNSIGNED,
    TAMPERED,
    UNTRUSTED,
    MALFORMED,
    TOO_LARGE;

    /** The receipt and error-message spelling. */
    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The error code a refusal carries: structure problems have their own. */
    String code() {
      return switch (this) {
        case MALFORMED -> ZipLayout.MALFORMED;
        case TOO_LARGE -> ZipLayout.TOO_LARGE;
        default -> PluginException.UNTRUSTED_PLUGIN;
      };
    }

    /** Whether the zip itself was refused, in every profile, before any signature was read. */
    boolean structural() {
      return this == MALFORMED || this == TOO_LARGE;
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
   * @param entries SHA-256 of every file entry of the verified zip (signature files included), by
   *     name; {@code null} unless trusted. What the installed bundle must still hold ({@link
   *     #confirmInstalled}).
   */
  record Verdict(
      Trust trust, String signer, String fingerprint, String detail, Map<String, byte[]> entries) {
    Verdict(Trust trust, String signer, String fingerprint, String detail) {
      this(trust, signer, fingerprint, detail, null);
    }

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

  /** Verifies a jar's bytes against the trusted certificates, now. */
  static Verdict verify(byte[] jar, Collection<X509Certificate> trusted) {
    return verify(jar, trusted, new Date());
  }

  /**
   * Verifies a jar's bytes against the trusted certificates; {@code now} is when certificate
   * validity is checked for a signature without a trusted timestamp.
   */
  static Verdict verify(byte[] jar, Collection<X509Certificate> trusted, Date now) {
    List<ZipLayout.Entry> layout;
    try {
      layout = ZipLayout.read(jar);
    } catch (ZipLayout.Refused e) {
      Trust t = ZipLayout.TOO_LARGE.equals(e.code()) ? Trust.TOO_LARGE : Trust.MALFORMED;
      return Verdict.of(t, OneLine.of(e.getMessage(), MAX_DETAIL));
    }
    Manifest manifest;
    List<String> unsigned = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Map<CodeSigner, String> problems = new HashMap<>();
    X509Certificate trustedLeaf = null;
    X509Certificate foreignLeaf = null;
    String untrustedEntry = null;
    String untrustedWhy = null;
    int signed = 0;
    try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar), true)) {
      manifest = in.getManifest();
      if (manifest == null) {
        return Verdict.of(Trust.UNSIGNED, "no manifest");
      }
      Optional<String> extension = extensionProblem(manifest.getMainAttributes());
      if (extension.isPresent()) {
        return Verdict.of(Trust.MALFORMED, extension.get());
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
        X509Certificate leaf = null;
        String why = null;
        for (CodeSigner signer : signers) {
          String problem =
              problems.computeIfAbsent(signer, s -> chainProblem(s, trusted, now).orElse(""));
          if (problem.isEmpty()) {
            leaf = leafOf(signer);
            break;
          }
          why = why == null ? problem : why;
        }
        if (leaf == null) {
          if (untrustedEntry == null) {
            untrustedEntry = name;
            untrustedWhy = why;
            foreignLeaf = leafOf(signers[0]);
          }
        } else if (trustedLeaf == null) {
          trustedLeaf = leaf;
        }
      }
    } catch (SecurityException e) {
      return Verdict.of(Trust.TAMPERED, OneLine.of(e.getMessage(), MAX_DETAIL));
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
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (ZipLayout.Entry e : layout) {
      if (e.directory()) {
        continue;
      }
      if (!seen.contains(e.name()) && !isSignatureFile(e.name())) {
        // the layout check makes this impossible; kept so the two readers can never drift apart
        return Verdict.of(Trust.TAMPERED, "entry " + e.name() + " was not verified");
      }
      entries.put(e.name(), e.sha256());
    }
    if (untrustedEntry != null) {
      return new Verdict(
          Trust.UNTRUSTED,
          foreignLeaf == null ? null : foreignLeaf.getSubjectX500Principal().getName(),
          foreignLeaf == null ? null : fingerprint(foreignLeaf),
          "signer is not trusted: " + untrustedWhy);
    }
    return new Verdict(
        Trust.TRUSTED,
        trustedLeaf.getSubjectX500Principal().getName(),
        fingerprint(trustedLeaf),
        "signed by a trusted vendor",
        Collections.unmodifiableMap(entries));
  }

  /**
   * Why a signer is not trusted, or empty when it is. The signer's certificate path as the
   * signature block carries it is cut before its first trust-store certificate and validated with
   * PKIX anchored only at the trust store's certificates (never at one the jar brings): every
   * signature on the path, validity at the signing time (the timestamp's, when the signature has
   * one from a timestamping authority that validates against the JVM's CA certificates or the trust
   * store; otherwise {@code now}), basic constraints and CA key usage. Revocation is not checked
   * (there is no CRL or OCSP access from the kernel; rotate by removing a certificate from the
   * trust directory). A leaf that is itself in the trust store is pinned: it must be valid at that
   * time. The leaf must allow signing: key usage, when present, includes {@code digitalSignature};
   * extended key usage, when present, includes {@code codeSigning} or {@code anyExtendedKeyUsage}.
   */
  static Optional<String> chainProblem(
      CodeSigner signer, Collection<X509Certificate> trusted, Date now) {
    List<X509Certificate> path = new ArrayList<>();
    for (Certificate c : signer.getSignerCertPath().getCertificates()) {
      if (!(c instanceof X509Certificate x)) {
        return Optional.of("the signer's certificate is not X.509");
      }
      path.add(x);
    }
    if (path.isEmpty()) {
      return Optional.of("the signature carries no certificate");
    }
    X509Certificate leaf = path.get(0);
    Optional<String> usage = leafUsageProblem(leaf, CODE_SIGNING);
    if (usage.isPresent()) {
      return usage;
    }
    if (trusted.isEmpty()) {
      return Optional.of("the trust store is empty");
    }
    Date at = signingTime(signer, trusted, now);
    return pkix(path, trusted, at);
  }

  /** PKIX of {@code path} (leaf first) anchored at {@code trusted}, at {@code at}. */
  private static Optional<String> pkix(
      List<X509Certificate> path, Collection<X509Certificate> trusted, Date at) {
    int cut = path.size();
    for (int i = 0; i < path.size(); i++) {
      if (trusted.contains(path.get(i))) {
        cut = i;
        break;
      }
    }
    if (cut == 0) {
      try {
        path.get(0).checkValidity(at);
        return Optional.empty();
      } catch (CertificateException e) {
        return Optional.of("the pinned signer certificate is not valid at " + at.toInstant());
      }
    }
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate c : trusted) {
        anchors.add(new TrustAnchor(c, null));
      }
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(at);
      CertPath certPath =
          CertificateFactory.getInstance("X.509").generateCertPath(path.subList(0, cut));
      CertPathValidator.getInstance("PKIX").validate(certPath, params);
      return Optional.empty();
    } catch (CertPathValidatorException e) {
      return Optional.of(
          "its certificate chain does not validate to the trust store ("
              + OneLine.of(String.valueOf(e.getReason()).toLowerCase(Locale.ROOT), MAX_DETAIL)
              + ")");
    } catch (GeneralSecurityException e) {
      return Optional.of("its certificate chain cannot be checked");
    }
  }

  /**
   * The time a signature's certificates must be valid at: the timestamp's, when the timestamping
   * authority's own chain validates (PKIX, time-stamping usage) to the JVM's CA certificates or to
   * the trust store; otherwise {@code now}. A timestamp only moves the validity check; it never
   * makes a signer trusted.
   */
  private static Date signingTime(
      CodeSigner signer, Collection<X509Certificate> trusted, Date now) {
    Timestamp ts = signer.getTimestamp();
    if (ts == null) {
      return now;
    }
    List<X509Certificate> tsaPath = new ArrayList<>();
    for (Certificate c : ts.getSignerCertPath().getCertificates()) {
      if (c instanceof X509Certificate x) {
        tsaPath.add(x);
      }
    }
    if (tsaPath.isEmpty() || leafUsageProblem(tsaPath.get(0), TIME_STAMPING).isPresent()) {
      return now;
    }
    Set<X509Certificate> anchors = new HashSet<>(trusted);
    anchors.addAll(jvmCaCertificates());
    Date stamped = ts.getTimestamp();
    if (stamped.after(now) || pkix(tsaPath, anchors, stamped).isPresent()) {
      LOG.debug("plugin signature timestamp not honoured: its authority does not validate");
      return now;
    }
    return stamped;
  }

  private static Set<X509Certificate> jvmCaCertificates() {
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      Set<X509Certificate> out = new HashSet<>();
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          out.addAll(List.of(x.getAcceptedIssuers()));
        }
      }
      return out;
    } catch (GeneralSecurityException e) {
      return Set.of();
    }
  }

  private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
  private static final String TIME_STAMPING = "1.3.6.1.5.5.7.3.8";
  private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

  /** Key usage and extended key usage of a signing leaf, checked only where present. */
  private static Optional<String> leafUsageProblem(X509Certificate leaf, String purpose) {
    boolean[] keyUsage = leaf.getKeyUsage();
    if (keyUsage != null && (keyUsage.length == 0 || !keyUsage[0])) {
      return Optional.of("its certificate's key usage does not allow digital signatures");
    }
    List<String> eku;
    try {
      eku = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      return Optional.of("its certificate's extended key usage cannot be read");
    }
    if (eku != null && !eku.contains(purpose) && !eku.contains(ANY_EXTENDED_KEY_USAGE)) {
      return Optional.of(
          CODE_SIGNING.equals(purpose)
              ? "its certificate's extended key usage does not include code signing"
              : "the timestamping certificate is not for time stamping");
    }
    return Optional.empty();
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
      return Verdict.of(Trust.TAMPERED, OneLine.of(e.getMessage(), MAX_DETAIL));
    } catch (TooLarge e) {
      return Verdict.of(Trust.TOO_LARGE, e.getMessage());
    } catch (IOException | RuntimeException e) {
      return Verdict.of(Trust.UNSIGNED, "bundle content cannot be read");
    }
  }

  /**
   * Re-checks an installed bundle against the verdict on the bytes it was installed from, through
   * the framework's own view of its content: the file entries {@code getEntryPaths} lists must be
   * exactly the verified zip's, each with the verified SHA-256 (so each still matches its signed
   * manifest digest). Uses {@code getEntryPaths} / {@code getEntry}, which never trigger
   * resolution, so it is safe inside a resolver hook. Returns {@code verified} when they agree, a
   * {@code tampered} verdict otherwise; verdicts that are not trusted are returned as they are.
   */
  static Verdict confirmInstalled(Bundle bundle, Verdict verified) {
    if (!verified.trusted()) {
      return verified;
    }
    Map<String, byte[]> expected = verified.entries();
    if (expected == null) {
      return Verdict.of(Trust.TAMPERED, "no verified content to compare the installed bundle with");
    }
    try {
      List<String> paths = new ArrayList<>();
      collect(bundle, "/", paths);
      Set<String> installed = new HashSet<>();
      byte[] buf = new byte[8192];
      long total = 0;
      for (String p : paths) {
        byte[] want = expected.get(p);
        if (want == null || !installed.add(p)) {
          return Verdict.of(
              Trust.TAMPERED, "the installed bundle has entry " + p + " that was not verified");
        }
        URL url = bundle.getEntry(p);
        if (url == null) {
          return Verdict.of(Trust.TAMPERED, "installed entry " + p + " cannot be read");
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = url.openStream()) {
          int n;
          while ((n = in.read(buf)) >= 0) {
            total += n;
            if (total > ZipLayout.MAX_INFLATED_BYTES) {
              return Verdict.of(Trust.TAMPERED, "the installed bundle is larger than verified");
            }
            sha.update(buf, 0, n);
          }
        }
        if (!MessageDigest.isEqual(want, sha.digest())) {
          return Verdict.of(
              Trust.TAMPERED, "installed entry " + p + " differs from the verified jar");
        }
      }
      for (String name : expected.keySet()) {
        if (!installed.contains(name)) {
          return Verdict.of(
              Trust.TAMPERED, "verified entry " + name + " is missing from the installed bundle");
        }
      }
      return verified;
    } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
      return Verdict.of(Trust.TAMPERED, "the installed bundle's content cannot be read");
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
    if (ordered.size() > ZipLayout.MAX_ENTRIES) {
      throw new TooLarge(ordered.size() + " entries; at most " + ZipLayout.MAX_ENTRIES);
    }
    long total = 0;
    byte[] buf = new byte[8192];
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream out = new JarOutputStream(bytes)) {
      for (String p : ordered) {
        URL url = bundle.getEntry(p);
        if (url == null) {
          continue;
        }
        out.putNextEntry(new ZipEntry(p));
        try (InputStream in = url.openStream()) {
          int n;
          while ((n = in.read(buf)) >= 0) {
            total += n;
            if (total > ZipLayout.MAX_INFLATED_BYTES) {
              throw new TooLarge(
                  "more than " + (ZipLayout.MAX_INFLATED_BYTES >> 20) + " MiB inflated");
            }
            out.write(buf, 0, n);
          }
        }
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** An installed bundle over the inflated-size or entry-count cap. */
  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(String message) {
      super(message);
    }
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
  private static final Pattern EXTENSION_DIRECTIVE = Pattern.compile("(?i)extension\\s*:=");

  /**
   * Why a manifest describes a framework extension, or empty. A fragment of the system bundle (by
   * either of its names) or any {@code extension:=} directive would be attached to the framework
   * itself, outside every resolver hook, and its {@code ExtensionBundle-Activator} would run inside
   * the daemon: such a plugin is refused in every profile, signed or not.
   */
  static Optional<String> extensionProblem(Attributes main) {
    if (main.getValue("ExtensionBundle-Activator") != null) {
      return Optional.of("extension bundles are not accepted (ExtensionBundle-Activator)");
    }
    String host = main.getValue("Fragment-Host");
    if (host == null) {
      return Optional.empty();
    }
    String target = host.split("[;,]", 2)[0].trim();
    if (target.equals("system.bundle")
        || target.equals("org.apache.felix.framework")
        || EXTENSION_DIRECTIVE.matcher(host).find()) {
      return Optional.of(
          "extension bundles are not accepted (Fragment-Host: "
              + OneLine.of(target, MAX_DETAIL)
              + ")");
    }
    return Optional.empty();
  }

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
}
