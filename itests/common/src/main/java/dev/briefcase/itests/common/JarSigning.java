package dev.briefcase.itests.common;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Signs plugin jars at test time with the JDK's own {@code keytool} and {@code jarsigner}, as a
 * vendor following the signing recipe would: EC P-256 keys with the code-signing usage in PKCS#12
 * keystores (password {@code changeit}).
 */
public final class JarSigning {
  private JarSigning() {}

  /** A fresh self-signed code-signing key pair in {@code <dir>/<alias>.p12}. */
  public static Path keyPair(Path dir, String alias, String dname) throws Exception {
    Path ks = dir.resolve(alias + ".p12");
    run(
        tool("keytool"),
        "-genkeypair",
        "-alias",
        alias,
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-sigalg",
        "SHA256withECDSA",
        "-dname",
        dname,
        "-validity",
        "30",
        "-ext",
        "ExtendedKeyUsage=codeSigning",
        "-storetype",
        "PKCS12",
        "-keystore",
        ks.toString(),
        "-storepass",
        "changeit",
        "-keypass",
        "changeit");
    return ks;
  }

  /** Writes the certificate of {@code alias} as PEM, for a trust directory. */
  public static void exportCert(Path ks, String alias, Path pem) throws Exception {
    run(
        tool("keytool"),
        "-exportcert",
        "-rfc",
        "-alias",
        alias,
        "-keystore",
        ks.toString(),
        "-storepass",
        "changeit",
        "-file",
        pem.toString());
  }

  /** The bytes of {@code jar} signed with {@code alias}; the signed copy is kept in {@code dir}. */
  public static byte[] sign(Path dir, Path jar, Path ks, String alias) throws Exception {
    Path out = dir.resolve(alias + "-" + jar.getFileName() + "-signed.jar");
    run(
        tool("jarsigner"),
        "-keystore",
        ks.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        "changeit",
        "-sigalg",
        "SHA256withECDSA",
        "-digestalg",
        "SHA-256",
        "-signedjar",
        out.toString(),
        jar.toString(),
        alias);
    return Files.readAllBytes(out);
  }

  /** The JDK tool of the running JVM, or its bare name for the PATH. */
  public static String tool(String name) {
    Path home = Path.of(System.getProperty("java.home"));
    for (Path candidate :
        List.of(home.resolve("bin").resolve(name), home.resolveSibling("bin").resolve(name))) {
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return name;
  }

  /** Runs a command and returns its output; a non-zero exit fails the test with that output. */
  public static String run(String... command) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed: " + output);
    }
    return output;
  }
}
