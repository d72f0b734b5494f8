package dev.briefcase.egress.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@link Resolver} that asks one configured DNS server over UDP (RFC 1035) instead of the system
 * resolver: one {@code A} and one {@code AAAA} question per lookup, random ids, answers accepted
 * only from that server with the matching id and question. No caching, no TCP fallback (a truncated
 * answer fails the lookup), CNAME chains must be flattened by the server (as a recursive resolver
 * does). Thread-safe: each lookup uses its own socket.
 */
final class DnsResolver implements Resolver {

  private static final int TYPE_A = 1;
  private static final int TYPE_AAAA = 28;
  private static final int MAX_ANSWER = 4096;

  private final InetSocketAddress server;
  private final int timeoutMillis;
  private final SecureRandom random = new SecureRandom();

  DnsResolver(InetSocketAddress server, int timeoutMillis) {
    this.server = server;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * Parses {@code ip:port} or {@code [v6]:port} (an address literal: the DNS server itself is never
   * looked up by name).
   *
   * @throws IllegalArgumentException when it is not that
   */
  static InetSocketAddress parseServer(String spec) {
    String s = spec.strip();
    int colon = s.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("dns server must be ip:port");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("dns server port is not a number");
    }
    if (port < 1 || port > 65535 || !(host.matches("[0-9.]+") || host.contains(":"))) {
      throw new IllegalArgumentException("dns server must be an address literal with a port");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("dns server address is invalid");
    }
  }

  @Override
  public List<InetAddress> resolve(String host) throws UnknownHostException {
    String name = host.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    List<InetAddress> out = new ArrayList<>();
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(timeoutMillis);
      socket.connect(server);
      int idA = random.nextInt(0x10000);
      int idAaaa = (idA + 1 + random.nextInt(0xfffe)) & 0xffff;
      byte[] qa = query(idA, name, TYPE_A);
      byte[] q6 = query(idAaaa, name, TYPE_AAAA);
      socket.send(new DatagramPacket(qa, qa.length));
      socket.send(new DatagramPacket(q6, q6.length));
      boolean gotA = false;
      boolean gotAaaa = false;
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
      byte[] buf = new byte[MAX_ANSWER];
      while (!(gotA && gotAaaa)) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          break;
        }
        socket.setSoTimeout((int) Math.max(1, left));
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
          socket.receive(p);
        } catch (SocketTimeoutException e) {
          break;
        }
        int id = p.getLength() >= 2 ? ((buf[0] & 0xff) << 8) | (buf[1] & 0xff) : -1;
        if (id == idA && !gotA) {
          gotA = true;
          parse(buf, p.getLength(), name, TYPE_A, out);
        } else if (id == idAaaa && !gotAaaa) {
          gotAaaa = true;
          parse(buf, p.getLength(), name, TYPE_AAAA, out);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new UnknownHostException(host);
    }
    if (out.isEmpty()) {
      throw new UnknownHostException(host);
    }
    return out;
  }

  private static byte[] query(int id, String name, int type) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(id >> 8);
    b.write(id);
    b.write(0x01); // RD
    b.write(0x00);
    b.writeBytes(new byte[] {0, 1, 0, 0, 0, 0, 0, 0}); // QDCOUNT 1
    writeName(b, name);
    b.write(type >> 8);
    b.write(type);
    b.write(0);
    b.write(1); // IN
    return b.toByteArray();
  }

  private static void writeName(ByteArrayOutputStream b, String name) {
    for (String label : name.split("\\.")) {
      byte[] l = label.getBytes(StandardCharsets.US_ASCII);
      if (l.length == 0 || l.length > 63) {
        throw new IllegalArgumentException("bad label");
      }
      b.write(l.length);
      b.writeBytes(l);
    }
    b.write(0);
  }

  /** Adds the answers of {@code type} for {@code name}; anything malformed adds nothing. */
  private static void parse(byte[] m, int len, String name, int type, List<InetAddress> out)
      throws UnknownHostException {
    if (len < 12 || (m[2] & 0x80) == 0 || (m[2] & 0x02) != 0 || (m[3] & 0x0f) != 0) {
      return; // not a response, truncated, or an error rcode
    }
    int qd = u16(m, 4);
    int an = u16(m, 6);
    if (qd != 1) {
      return;
    }
    int[] pos = {12};
    String qname = readName(m, len, pos);
    if (qname == null || !qname.equals(name) || pos[0] + 4 > len || u16(m, pos[0]) != type) {
      return;
    }
    pos[0] += 4;
    List<InetAddress> found = new ArrayList<>();
    for (int i = 0; i < an; i++) {
      if (readName(m, len, pos) == null || pos[0] + 10 > len) {
        return;
      }
      int rtype = u16(m, pos[0]);
      int rclass = u16(m, pos[0] + 2);
      int rdlen = u16(m, pos[0] + 8);
      pos[0] += 10;
      if (pos[0] + rdlen > len) {
        return;
      }
      if (rclass == 1 && rtype == type && rdlen == (type == TYPE_A ? 4 : 16)) {
        byte[] addr = new byte[rdlen];
        System.arraycopy(m, pos[0], addr, 0, rdlen);
        found.add(InetAddress.getByAddress(addr));
      }
      pos[0] += rdlen;
    }
    out.addAll(found);
  }

  private static String readName(byte[] m, int len, int[] pos) {
    StringBuilder sb = new StringBuilder();
    int p = pos[0];
    boolean jumped = false;
    int hops = 0;
    while (true) {
      if (p >= len || ++hops > 128) {
        return null;
      }
      int l = m[p] & 0xff;
      if (l == 0) {
        p++;
        break;
      }
      if ((l & 0xc0) == 0xc0) {
        if (p + 1 >= len) {
          return null;
        }
        int target = ((l & 0x3f) << 8) | (m[p + 1] & 0xff);
        if (!jumped) {
          pos[0] = p + 2;
        }
        jumped = true;
        p = target;
        continue;
      }
      if ((l & 0xc0) != 0 || p + 1 + l > len) {
        return null;
      }
      if (sb.length() > 0) {
        sb.append('.');
      }
      sb.append(new String(m, p + 1, l, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT));
      p += 1 + l;
    }
    if (!jumped) {
      pos[0] = p;
    }
    return sb.toString();
  }

  private static int u16(byte[] m, int i) {
    return ((m[i] & 0xff) << 8) | (m[i + 1] & 0xff);
  }
}
