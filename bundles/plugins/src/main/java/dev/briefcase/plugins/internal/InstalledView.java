package dev.briefcase.plugins.internal;

import dev.briefcase.plugins.internal.PluginTrust.Verdict;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Arrays;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;

/**
 * Compares what the framework installed with the bytes that were verified: symbolic name, version,
 * manifest bytes and, through {@link PluginTrust#confirmInstalled}, the entries.
 */
final class InstalledView {
  private InstalledView() {}

  /** How the installed bundle differs from the verified bytes, or {@code null}. */
  static String otherView(Bundle bundle, byte[] bytes, String[] nameVersion, Verdict verdict) {
    if (!nameVersion[0].equals(bundle.getSymbolicName())) {
      return "the framework installed another symbolic name than the verified one";
    }
    try {
      if (!Version.parseVersion(nameVersion[1]).equals(bundle.getVersion())) {
        return "the framework installed another version than the verified one";
      }
    } catch (IllegalArgumentException e) {
      return "the verified version is not a valid OSGi version";
    }
    byte[] verified = manifestBytes(bytes);
    byte[] installed;
    try {
      URL url = bundle.getEntry(JarFile.MANIFEST_NAME);
      installed = url == null ? null : readCapped(url);
    } catch (IOException | RuntimeException e) {
      installed = null;
    }
    if (verified == null || installed == null || !Arrays.equals(verified, installed)) {
      return "the framework installed another manifest than the verified one";
    }
    Verdict confirmed = PluginTrust.confirmInstalled(bundle, verdict);
    if (confirmed != verdict) {
      return confirmed.detail();
    }
    return null;
  }

  /** The manifest's bytes in the verified zip (the layout check makes its one view certain). */
  private static byte[] manifestBytes(byte[] jar) {
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (JarFile.MANIFEST_NAME.equals(e.getName())) {
          return in.readNBytes(MAX_MANIFEST + 1);
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  private static final int MAX_MANIFEST = 4 << 20;

  private static byte[] readCapped(URL url) throws IOException {
    try (InputStream in = url.openStream()) {
      return in.readNBytes(MAX_MANIFEST + 1);
    }
  }
}
