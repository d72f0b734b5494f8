package dev.briefcase.egress.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Opens a TCP connection to an already validated address; never resolves a name. */
@FunctionalInterface
interface Dialer {

  /** A plain socket connect. */
  Dialer SYSTEM =
      (address, port, timeoutMillis) -> {
        Socket socket = new Socket();
        try {
          socket.connect(new InetSocketAddress(address, port), timeoutMillis);
          return socket;
        } catch (IOException | RuntimeException e) {
          socket.close();
          throw e;
        }
      };

  Socket dial(InetAddress address, int port, int timeoutMillis) throws IOException;
}
