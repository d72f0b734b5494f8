package dev.briefcase.payhelper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** A passphrase or PIN kept in a file: its first line, without the line end. */
final class PinFile {
  private PinFile() {}

  static char[] read(Path file) throws HelperException {
    try {
      byte[] bytes = Files.readAllBytes(file);
      String s = new String(bytes, StandardCharsets.UTF_8);
      Arrays.fill(bytes, (byte) 0);
      int end = s.indexOf('\n') < 0 ? s.length() : s.indexOf('\n');
      if (end > 0 && s.charAt(end - 1) == '\r') {
        end--;
      }
      if (end == 0) {
        throw new IOException("empty");
      }
      return s.substring(0, end).toCharArray();
    } catch (IOException e) {
      throw new HelperException(
          HelperException.KEY_UNAVAILABLE, "the passphrase or PIN file cannot be read");
    }
  }
}
