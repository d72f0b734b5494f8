package dev.briefcase.signer.tpm2.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import tss.TpmDevice;

/**
 * A TPM reached over TCP with the TPM simulator framing that swtpm, the Microsoft simulator and
 * ibmswtpm2 accept on their command port: {@code TPM_SEND_COMMAND(8), locality(1 byte), length(4),
 * command}, answered by {@code length(4), response, 0(4)}.
 *
 * <p>Why not TSS.Java's {@code TpmDeviceTcp}: it writes each frame in several small writes without
 * TCP_NODELAY, so Nagle and delayed ACKs add ≈44 ms to every command. Here each frame is one write
 * on a socket with TCP_NODELAY. The control port is not used: the TPM is expected to be powered and
 * started (swtpm {@code --flags not-need-init,startup-clear}, or a real TPM).
 */
final class TcpTpmDevice extends TpmDevice {
  private static final int SEND_COMMAND = 8;
  private static final int SESSION_END = 20;
  private static final int MAX_RESPONSE = 64 * 1024;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  /** Connects now; throws {@link IOException} when nothing listens or within the timeout. */
  TcpTpmDevice(String host, int port, int connectTimeoutMillis, int readTimeoutMillis)
      throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
      s.setSoTimeout(readTimeoutMillis);
      this.in = new DataInputStream(s.getInputStream());
      this.out = s.getOutputStream();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    this.socket = s;
  }

  @Override
  public boolean connect() {
    return true;
  }

  @Override
  public void dispatchCommand(byte[] command) {
    ByteBuffer frame = ByteBuffer.allocate(9 + command.length);
    frame.putInt(SEND_COMMAND).put((byte) 0).putInt(command.length).put(command);
    try {
      out.write(frame.array());
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public byte[] getResponse() {
    try {
      int length = in.readInt();
      if (length < 10 || length > MAX_RESPONSE) {
        throw new IOException("bad TPM response length " + length);
      }
      byte[] response = new byte[length];
      in.readFully(response);
      in.readInt(); // trailing status word of the simulator framing
      return response;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean responseReady() {
    try {
      return in.available() > 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try (socket) {
      out.write(ByteBuffer.allocate(4).putInt(SESSION_END).array());
    } catch (IOException e) {
      // closing anyway; the TPM side drops the session with the socket
    }
  }
}
