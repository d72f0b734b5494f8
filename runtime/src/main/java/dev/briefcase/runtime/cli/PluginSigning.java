package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.edge.OneLine;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertPath;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;
import jdk.security.jarsigner.JarSigner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code briefcase plugins sign} and {@code briefcase plugins trust add|list}: the vendor's and the
 * operator's halves of plugin trust, on the JDK alone. Signing uses the public {@code
 * jdk.security.jarsigner.JarSigner} API (no {@code jarsigner} process); the trust directory is the
 * one the kernel's trust gate reads ({@code BRIEFCASE_PLUGIN_TRUST_DIR}, else {@code
 * <data_dir>/trust}). Neither needs a running kernel. Passwords are read from an environment
 * variable, a file or the console — never from the command line, where other users can see them.
 */
final class PluginSigning {
  /** The default environment variable holding the keystore password. */
  static final String PASSWORD_ENV = "BRIEFCASE_KEYSTORE_PASSWORD";

  private PluginSigning() {}

  /** {@code briefcase plugins sign JAR --keystore FILE}. */
  @Command(
      name = "sign",
      description =
          "Sign a plugin jar with a key from a PKCS#12 or JKS keystore; the signature carries"
              + " the key entry's whole certificate chain. Prints the signer certificate's SHA-256"
              + " fingerprint.")
  static final class Sign extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JAR", description = "The plugin jar to sign.")
    Path jar;

    @Option(
        names = "--keystore",
        required = true,
        paramLabel = "FILE",
        description = "PKCS#12 (.p12/.pfx) or JKS keystore holding the signing key.")
    Path keystore;

    @Option(
        names = "--alias",
        paramLabel = "ALIAS",
        description = "The key entry to use (default: the keystore's only key).")
    String alias;

    @Option(
        names = {"-o", "--out"},
        paramLabel = "FILE",
        description = "Where to write the signed jar (default: <name>-signed.jar next to JAR).")
    Path out;

    @Option(
        names = "--storepass-env",
        paramLabel = "VAR",
        description =
            "Environment variable with the keystore password (default " + PASSWORD_ENV + ").")
    String passwordEnv = PASSWORD_ENV;

    @Option(
        names = "--storepass-file",
        paramLabel = "FILE",
        description = "File whose first line is the keystore password.")
    Path passwordFile;

    @Option(
        names = "--cert-out",
        paramLabel = "FILE",
        description =
            "Also write the signer certificate as PEM. For a self-signed key that is what the"
                + " operator trusts; for a CA-issued key the operator trusts the CA certificate.")
    Path certOut;

    @Override
    public Integer call() throws Exception {
      PluginsCommand.requireFile(jar);
      PluginsCommand.requireFile(keystore);
      char[] password = password();
      KeyStore ks;
      try {
        ks = load(keystore, password);
      } catch (IOException | GeneralSecurityException e) {
        throw new CliException(
            ExitCodes.ERROR,
            "briefcase: cannot open keystore " + keystore + " (wrong password or not PKCS#12/JKS)");
      }
      String entry = chooseAlias(ks);
      PrivateKey key;
      try {
        key = (PrivateKey) ks.getKey(entry, password);
      } catch (GeneralSecurityException e) {
        throw new CliException(ExitCodes.ERROR, "briefcase: cannot read key '" + entry + "'");
      } finally {
        java.util.Arrays.fill(password, '\0');
      }
      Certificate[] chain = ks.getCertificateChain(entry);
      if (key == null || chain == null || chain.length == 0) {
        throw new CliException(
            ExitCodes.USAGE, "briefcase: '" + entry + "' is not a private key entry");
      }
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      CertPath path = cf.generateCertPath(List.of(chain));
      X509Certificate signer = (X509Certificate) chain[0];

      JarSigner jarSigner =
          new JarSigner.Builder(key, path)
              .digestAlgorithm("SHA-256")
              .signatureAlgorithm(signatureAlgorithm(key))
              .signerName(signerName(entry))
              .build();
      Path target = out != null ? out : defaultOut(jar);
      Path tmp =
          Files.createTempFile(target.toAbsolutePath().getParent(), ".briefcase-sign-", ".jar.tmp");
      try {
        try (ZipFile in = new ZipFile(jar.toFile());
            OutputStream os = Files.newOutputStream(tmp)) {
          jarSigner.sign(in, os);
        } catch (java.util.zip.ZipException e) {
          throw new CliException(ExitCodes.ERROR, "briefcase: " + jar + " is not a jar file");
        } catch (jdk.security.jarsigner.JarSignerException e) {
          throw new CliException(
              ExitCodes.ERROR, "briefcase: signing failed: " + OneLine.of(e.getMessage()));
        }
        verifySigned(tmp, signer);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      String fingerprint = fingerprint(signer);
      if (certOut != null) {
        Files.writeString(certOut, pem(signer), StandardCharsets.US_ASCII);
      }
      if (json) {
        ObjectNode o = root().mapper.createObjectNode();
        o.put("signed_jar", target.toString());
        o.put("alias", entry);
        o.put("signer", signer.getSubjectX500Principal().getName());
        o.put("cert_sha256", fingerprint);
        o.put("signature_algorithm", signatureAlgorithm(key));
        ArrayNode carried = o.putArray("chain");
        for (Certificate c : chain) {
          carried.add(((X509Certificate) c).getSubjectX500Principal().getName());
        }
        if (certOut != null) {
          o.put("cert_file", certOut.toString());
        }
        out().println(o.toString());
      } else {
        out().println("signed " + target);
        out().println("signer:             " + signer.getSubjectX500Principal().getName());
        out().println("certificate SHA-256: " + fingerprint);
        for (int i = 1; i < chain.length; i++) {
          out()
              .println(
                  "issued by:          "
                      + ((X509Certificate) chain[i]).getSubjectX500Principal().getName()
                      + " (carried in the signature)");
        }
        if (certOut != null) {
          out()
              .println(
                  "certificate:        " + certOut + " (operator: briefcase plugins trust add)");
        }
      }
      return ExitCodes.OK;
    }

    private char[] password() throws IOException {
      if (passwordFile != null) {
        PluginsCommand.requireFile(passwordFile);
        List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
        return (lines.isEmpty() ? "" : lines.get(0)).toCharArray();
      }
      String fromEnv = root().env.get(passwordEnv);
      if (fromEnv != null) {
        return fromEnv.toCharArray();
      }
      java.io.Console console = System.console();
      if (console != null) {
        char[] typed = console.readPassword("keystore password for %s: ", keystore.getFileName());
        if (typed != null) {
          return typed;
        }
      }
      throw new CliException(
          ExitCodes.USAGE,
          "briefcase: no keystore password: set "
              + passwordEnv
              + " or use --storepass-file (never on the command line)");
    }

    private String chooseAlias(KeyStore ks) throws GeneralSecurityException {
      List<String> keys = new ArrayList<>();
      for (String a : Collections.list(ks.aliases())) {
        if (ks.isKeyEntry(a)) {
          keys.add(a);
        }
      }
      if (alias != null) {
        if (!ks.isKeyEntry(alias)) {
          throw new CliException(
              ExitCodes.USAGE,
              "briefcase: no key entry '" + alias + "' in " + keystore + "; keys: " + keys);
        }
        return alias;
      }
      if (keys.size() != 1) {
        throw new CliException(
            ExitCodes.USAGE,
            "briefcase: "
                + keystore
                + " holds "
                + keys.size()
                + " keys; choose one with --alias: "
                + keys);
      }
      return keys.get(0);
    }
  }

  /** {@code briefcase plugins trust add|list}. */
  @Command(
      name = "trust",
      description = "Manage the certificates whose signatures the strict (ga) profile accepts.",
      subcommands = {TrustAdd.class, TrustList.class})
  static final class Trust {}

  /** Copies a certificate into the trust directory, as PEM named after its fingerprint. */
  @Command(
      name = "add",
      description =
          "Trust plugins signed by this certificate (PEM or DER); takes effect without a restart.")
  static final class TrustAdd extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CERT")
    Path cert;

    @Override
    public Integer call() throws Exception {
      PluginsCommand.requireFile(cert);
      X509Certificate c;
      try (InputStream in = Files.newInputStream(cert)) {
        c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      } catch (CertificateException | ClassCastException e) {
        throw new CliException(
            ExitCodes.USAGE, "briefcase: " + cert + " is not an X.509 certificate (PEM or DER)");
      }
      String fingerprint = fingerprint(c);
      Path dir = trustDir(root());
      Files.createDirectories(dir);
      Path target = dir.resolve(fingerprint + ".pem");
      boolean existed = Files.exists(target);
      Path tmp = Files.createTempFile(dir, ".trust-", ".tmp");
      try {
        Files.writeString(tmp, pem(c), StandardCharsets.US_ASCII);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      if (json) {
        ObjectNode o = root().mapper.createObjectNode();
        o.put("file", target.toString());
        o.put("subject", c.getSubjectX500Principal().getName());
        o.put("cert_sha256", fingerprint);
        o.put("already_trusted", existed);
        out().println(o.toString());
      } else {
        out().println((existed ? "already trusted: " : "trusted: ") + c.getSubjectX500Principal());
        out().println("certificate SHA-256: " + fingerprint);
        out().println("file:               " + target);
      }
      return ExitCodes.OK;
    }
  }

  /** Lists the certificates in the trust directory. */
  @Command(name = "list", description = "The trusted plugin signing certificates.")
  static final class TrustList extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      Path dir = trustDir(root());
      ArrayNode all = root().mapper.createArrayNode();
      if (Files.isDirectory(dir)) {
        List<Path> files;
        try (var s = Files.list(dir)) {
          files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
          for (X509Certificate c : readAll(f)) {
            ObjectNode o = all.addObject();
            o.put("file", f.toString());
            o.put("subject", c.getSubjectX500Principal().getName());
            o.put("cert_sha256", fingerprint(c));
            o.put("not_after", c.getNotAfter().toInstant().toString());
          }
        }
      }
      if (json) {
        ObjectNode o = root().mapper.createObjectNode();
        o.put("trust_dir", dir.toString());
        o.set("certificates", all);
        out().println(o.toString());
      } else {
        out().println("trust dir: " + dir);
        all.forEach(
            c -> out().println(c.path("cert_sha256").asText() + "  " + c.path("subject").asText()));
      }
      return ExitCodes.OK;
    }
  }

  /** The directory the kernel's trust gate reads. */
  static Path trustDir(BriefcaseCommand root) {
    String env = root.env.get("BRIEFCASE_PLUGIN_TRUST_DIR");
    return env != null && !env.isBlank() ? Path.of(env) : root.dataDir().resolve("trust");
  }

  static KeyStore load(Path file, char[] password) throws IOException, GeneralSecurityException {
    byte[] bytes = Files.readAllBytes(file);
    GeneralSecurityException last = null;
    for (String type : new String[] {"PKCS12", "JKS"}) {
      try {
        KeyStore ks = KeyStore.getInstance(type);
        ks.load(new ByteArrayInputStream(bytes), password);
        return ks;
      } catch (IOException e) {
        last = new GeneralSecurityException(e.getMessage(), e);
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  static String signatureAlgorithm(PrivateKey key) {
    return switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "DSA" -> "SHA256withDSA";
      default ->
          throw new CliException(
              ExitCodes.USAGE, "briefcase: unsupported key algorithm " + key.getAlgorithm());
    };
  }

  /** The .SF/.EC file stem: at most 8 of [A-Z0-9_-], as jarsigner derives it from the alias. */
  static String signerName(String alias) {
    String n = alias.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_-]", "_");
    n = n.length() > 8 ? n.substring(0, 8) : n;
    return n.isEmpty() ? "SIGNER" : n;
  }

  static Path defaultOut(Path jar) {
    String name = jar.getFileName().toString();
    String stem = name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name;
    return jar.toAbsolutePath().resolveSibling(stem + "-signed.jar");
  }

  /** Every entry must verify and carry this signer; catches a broken result before it ships. */
  static void verifySigned(Path signed, X509Certificate signer) throws IOException {
    try (JarFile jf = new JarFile(signed.toFile(), true)) {
      Enumeration<JarEntry> entries = jf.entries();
      byte[] buf = new byte[8192];
      while (entries.hasMoreElements()) {
        JarEntry e = entries.nextElement();
        try (InputStream in = jf.getInputStream(e)) {
          while (in.read(buf) != -1) {
            // reading to the end checks the digest
          }
        }
        String n = e.getName().toUpperCase(Locale.ROOT);
        if (e.isDirectory() || n.startsWith("META-INF/") && !n.substring(9).contains("/")) {
          continue; // the manifest and signature files are not signed themselves
        }
        Certificate[] certs = e.getCertificates();
        if (certs == null || certs.length == 0 || !certs[0].equals(signer)) {
          throw new CliException(
              ExitCodes.ERROR, "briefcase: signed jar does not verify at " + e.getName());
        }
      }
    } catch (SecurityException e) {
      throw new CliException(ExitCodes.ERROR, "briefcase: signed jar does not verify");
    }
  }

  static String fingerprint(X509Certificate c) throws GeneralSecurityException {
    byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
    return HexFormat.of().formatHex(d); // as receipts show it (signer_sha256)
  }

  static String pem(X509Certificate c) throws GeneralSecurityException {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(c.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  private static List<X509Certificate> readAll(Path f) {
    List<X509Certificate> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(f)) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        out.add((X509Certificate) c);
      }
    } catch (IOException | CertificateException | ClassCastException e) {
      // not a certificate: the trust gate ignores it too
    }
    return out;
  }
}
