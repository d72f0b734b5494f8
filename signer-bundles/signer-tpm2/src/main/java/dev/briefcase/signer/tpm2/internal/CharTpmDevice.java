package dev.briefcase.signer.tpm2.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.util.Arrays;
import tss.TpmDevice;

/**
 * A TPM character device, normally the kernel resource manager {@code /dev/tpmrm0}: one write of
 * the command, one read of the whole response. Used instead of TSS.Java's {@code TpmDeviceLinux},
 * which picks its own path, prints to stdout and polls with 200 ms sleeps.
 */
final class CharTpmDevice extends TpmDevice {
  private static final int MAX_RESPONSE = 4096;

  private final RandomAccessFile file;
  private byte[] response;

  CharTpmDevice(String path) throws IOException {
    this.file = new RandomAccessFile(path, "rw");
  }

  @Override
  public boolean connect() {
    return true;
  }

  @Override
  public void dispatchCommand(byte[] command) {
    try {
      file.write(command);
      byte[] buf = new byte[MAX_RESPONSE];
      int n = file.read(buf);
      if (n < 10) {
        throw new IOException("short TPM response (" + n + " bytes)");
      }
      response = Arrays.copyOf(buf, n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public byte[] getResponse() {
    byte[] r = response;
    response = null;
    return r;
  }

  @Override
  public boolean responseReady() {
    return response != null;
  }

  @Override
  public void close() {
    try {
      file.close();
    } catch (IOException e) {
      // nothing to release beyond the descriptor
    }
  }
}
