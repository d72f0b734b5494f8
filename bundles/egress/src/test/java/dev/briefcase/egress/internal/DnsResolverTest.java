package dev.briefcase.egress.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Test;

/** The UDP resolver against a tiny responder on loopback: answers, lies and silence. */
public class DnsResolverTest {

  private DatagramSocket server;

  /** mode: 0 answer, 1 answer with a wrong id first, 2 NXDOMAIN, 3 truncated. */
  private InetSocketAddress responder(int mode, AtomicInteger questions) throws Exception {
    server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[512];
              while (!server.isClosed()) {
                try {
                  DatagramPacket p = new DatagramPacket(buf, buf.length);
                  server.receive(p);
                  questions.incrementAndGet();
                  int qEnd = 12;
                  while (buf[qEnd] != 0) {
                    qEnd += 1 + (buf[qEnd] & 0xff);
                  }
                  qEnd += 5;
                  int type = buf[qEnd - 3] & 0xff;
                  if (mode == 1) {
                    send(p, reply(buf, qEnd, type, 1, true, false, (byte) 10), 0x5a);
                  }
                  send(p, reply(buf, qEnd, type, mode, false, mode == 3, (byte) 203), -1);
                } catch (Exception e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  private void send(DatagramPacket to, byte[] reply, int wrongId) throws Exception {
    if (wrongId >= 0) {
      reply[0] ^= (byte) wrongId;
    }
    server.send(new DatagramPacket(reply, reply.length, to.getSocketAddress()));
  }

  private static byte[] reply(
      byte[] q, int qEnd, int type, int mode, boolean lie, boolean truncated, byte first) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(q[0]);
    out.write(q[1]);
    out.write(truncated ? 0x87 : 0x85);
    out.write(mode == 2 ? 0x83 : 0x80);
    int answers = mode == 2 ? 0 : 1;
    out.writeBytes(new byte[] {0, 1, 0, (byte) answers, 0, 0, 0, 0});
    out.write(q, 12, qEnd - 12);
    if (answers == 1) {
      out.writeBytes(new byte[] {(byte) 0xc0, 0x0c, 0, (byte) type, 0, 1, 0, 0, 0, 60});
      if (type == 1) {
        out.writeBytes(new byte[] {0, 4, first, 0, 113, 7});
      } else {
        out.writeBytes(
            new byte[] {0, 16, 0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7});
      }
    }
    return out.toByteArray();
  }

  @After
  public void close() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  public void collectsAandAaaaAnswers() throws Exception {
    AtomicInteger q = new AtomicInteger();
    List<InetAddress> a = new DnsResolver(responder(0, q), 2000).resolve("Api.Example.TEST.");
    assertEquals(
        List.of(InetAddress.getByName("203.0.113.7"), InetAddress.getByName("2001:db8::7")),
        a.stream().sorted((x, y) -> x.getAddress().length - y.getAddress().length).toList());
    assertEquals(2, q.get());
  }

  @Test
  public void ignoresAnswersWithAnotherId() throws Exception {
    List<InetAddress> a =
        new DnsResolver(responder(1, new AtomicInteger()), 2000).resolve("x.test");
    assertEquals(true, a.contains(InetAddress.getByName("203.0.113.7")));
    assertEquals(false, a.contains(InetAddress.getByName("10.0.113.7")));
  }

  @Test
  public void nxdomainTruncationAndSilenceFail() throws Exception {
    for (int mode : new int[] {2, 3}) {
      try {
        new DnsResolver(responder(mode, new AtomicInteger()), 1000).resolve("x.test");
        fail("mode " + mode + " resolved");
      } catch (UnknownHostException expected) {
        // refused
      }
      server.close();
    }
    DatagramSocket silent =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    try {
      new DnsResolver((InetSocketAddress) silent.getLocalSocketAddress(), 300).resolve("x.test");
      fail("silence resolved");
    } catch (UnknownHostException expected) {
      // refused
    } finally {
      silent.close();
    }
  }

  @Test
  public void serverMustBeAnAddressLiteral() {
    assertEquals(53, DnsResolver.parseServer("127.0.0.1:53").getPort());
    assertEquals(5353, DnsResolver.parseServer("[::1]:5353").getPort());
    for (String bad : List.of("dns.example.com:53", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:x")) {
      try {
        DnsResolver.parseServer(bad);
        fail("accepted " + bad);
      } catch (IllegalArgumentException expected) {
        // refused
      }
    }
  }
}
