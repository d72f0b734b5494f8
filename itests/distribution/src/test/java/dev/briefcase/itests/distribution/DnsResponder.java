package dev.briefcase.itests.distribution;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, random port) for tests: fixed answers per
 * name, and for a rebinding name a public answer to the first {@code A} question and a private one
 * afterwards. Counts the questions it gets per name and type. Never forwards anything.
 */
final class DnsResponder implements AutoCloseable {

  private final DatagramSocket socket;
  private final Map<String, List<InetAddress>> fixed = new ConcurrentHashMap<>();
  private final Map<String, InetAddress[]> rebinding = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> questions = new ConcurrentHashMap<>();
  private final Thread thread;

  DnsResponder() throws IOException {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    thread = new Thread(this::serve, "dns-responder");
    thread.setDaemon(true);
    thread.start();
  }

  /** {@code ip:port} for BRIEFCASE_EGRESS_DNS_SERVER. */
  String address() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  DnsResponder answer(String name, String... addresses) throws IOException {
    List<InetAddress> list = new ArrayList<>();
    for (String a : addresses) {
      list.add(InetAddress.getByName(a));
    }
    fixed.put(name, list);
    return this;
  }

  /** First A answer {@code first}, every later one {@code then}. */
  DnsResponder rebind(String name, String first, String then) throws IOException {
    rebinding.put(
        name, new InetAddress[] {InetAddress.getByName(first), InetAddress.getByName(then)});
    return this;
  }

  /** How many questions of {@code type} (1 = A, 28 = AAAA) were asked for {@code name}. */
  int questions(String name, int type) {
    AtomicInteger n = questions.get(name + "/" + type);
    return n == null ? 0 : n.get();
  }

  int questions(String name) {
    return questions(name, 1) + questions(name, 28);
  }

  private void serve() {
    byte[] buf = new byte[512];
    while (!socket.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        byte[] reply = reply(buf, p.getLength());
        if (reply != null) {
          socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
        }
      } catch (IOException | RuntimeException e) {
        // closed, or a malformed question: ignore
      }
    }
  }

  private byte[] reply(byte[] q, int len) {
    int pos = 12;
    StringBuilder name = new StringBuilder();
    while (pos < len && q[pos] != 0) {
      int l = q[pos] & 0xff;
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(new String(q, pos + 1, l, StandardCharsets.US_ASCII));
      pos += 1 + l;
    }
    pos++;
    int type = ((q[pos] & 0xff) << 8) | (q[pos + 1] & 0xff);
    int questionEnd = pos + 4;
    String n = name.toString().toLowerCase(Locale.ROOT);
    int asked =
        questions.computeIfAbsent(n + "/" + type, k -> new AtomicInteger()).incrementAndGet();
    List<InetAddress> answers = new ArrayList<>();
    InetAddress[] rb = rebinding.get(n);
    if (rb != null) {
      InetAddress a = asked == 1 ? rb[0] : rb[1];
      answers.add(a);
    } else {
      answers.addAll(fixed.getOrDefault(n, List.of()));
    }
    int wantLen = type == 1 ? 4 : type == 28 ? 16 : -1;
    List<byte[]> rdata = new ArrayList<>();
    for (InetAddress a : answers) {
      byte[] raw = a.getAddress();
      if (raw.length == wantLen && !n.startsWith("mapped")) {
        rdata.add(raw);
      } else if (type == 28 && raw.length == 4 && n.startsWith("mapped")) {
        // ::ffff:a.b.c.d written out as an AAAA record
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(raw, 0, m, 12, 4);
        rdata.add(m);
      }
    }
    boolean known = rb != null || fixed.containsKey(n);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(q[0]);
    out.write(q[1]);
    out.write(0x85); // QR, AA, RD
    out.write(known ? 0x80 : 0x83); // RA; NXDOMAIN when unknown
    out.writeBytes(new byte[] {0, 1, 0, (byte) rdata.size(), 0, 0, 0, 0});
    out.write(q, 12, questionEnd - 12);
    for (byte[] r : rdata) {
      out.writeBytes(new byte[] {(byte) 0xc0, 0x0c, 0, (byte) type, 0, 1, 0, 0, 0, 0});
      out.write(0);
      out.write(r.length);
      out.writeBytes(r);
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    socket.close();
  }
}
