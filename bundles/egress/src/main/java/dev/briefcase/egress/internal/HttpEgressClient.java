package dev.briefcase.egress.internal;

import static dev.briefcase.egress.EgressException.ADDRESS_REFUSED;
import static dev.briefcase.egress.EgressException.CONNECT_FAILED;
import static dev.briefcase.egress.EgressException.DNS_FAILED;
import static dev.briefcase.egress.EgressException.POLICY_INVALID;
import static dev.briefcase.egress.EgressException.PROTOCOL_ERROR;
import static dev.briefcase.egress.EgressException.REQUEST_INVALID;
import static dev.briefcase.egress.EgressException.TIMEOUT;
import static dev.briefcase.egress.EgressException.TLS_FAILED;
import static dev.briefcase.egress.EgressException.UNAVAILABLE;

import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EgressClient}: checks the URL, resolves the name once, checks every address, dials a
 * validated address (never the name again, so a DNS answer that changes between check and connect
 * cannot redirect the call), speaks TLS with SNI and host-name verification against the URL's host,
 * and runs one HTTP/1.1 exchange. Stateless per call apart from the set of open sockets, which
 * {@code @Deactivate} closes.
 */
@Component(service = EgressClient.class, configurationPid = HttpEgressClient.PID)
@Designate(ocd = HttpEgressClient.Config.class)
public final class HttpEgressClient implements EgressClient {
  static final String PID = "dev.briefcase.egress";
  private static final Logger LOG = LoggerFactory.getLogger(HttpEgressClient.class);
  private static final Set<String> RESERVED_HEADERS =
      Set.of(
          "host",
          "content-length",
          "transfer-encoding",
          "connection",
          "upgrade",
          "te",
          "trailer",
          "keep-alive",
          "proxy-connection",
          "expect");

  @ObjectClassDefinition(
      name = "Briefcase egress client",
      description = "Ceilings that apply on top of every caller's egress policy.")
  public @interface Config {
    @AttributeDefinition(
        name = "Response size ceiling",
        description =
            "Largest response body in bytes any policy may allow; larger policy caps are lowered"
                + " to this. The sandbox cap is 4 MiB.")
    long max_response_bytes_ceiling() default 4L << 20;

    @AttributeDefinition(
        name = "Overall timeout ceiling",
        description = "Longest overall time in milliseconds any policy may allow for one call.")
    long max_total_timeout_millis() default 60_000L;

    @AttributeDefinition(
        name = "DNS server",
        description =
            "ip:port of the DNS server egress asks (UDP) instead of the system resolver; empty"
                + " for the system resolver. The framework property briefcase.egress.dns.server"
                + " (env BRIEFCASE_EGRESS_DNS_SERVER) overrides it.")
    String dns_server() default "";
  }

  /** Framework property naming the DNS server (env {@code BRIEFCASE_EGRESS_DNS_SERVER}). */
  static final String DNS_SERVER_PROPERTY = "briefcase.egress.dns.server";

  private final long maxResponseCeiling;
  private final long maxTotalMillis;
  private final Resolver resolver;
  private final Dialer dialer;
  private final SSLSocketFactory tls;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  @Activate
  public HttpEgressClient(Config config, org.osgi.framework.BundleContext context) {
    this(
        config.max_response_bytes_ceiling(),
        config.max_total_timeout_millis(),
        resolver(config, context),
        Dialer.SYSTEM,
        (SSLSocketFactory) SSLSocketFactory.getDefault());
    LOG.info(
        "egress client active (response ceiling {} B, overall timeout ceiling {} ms, {})",
        maxResponseCeiling,
        maxTotalMillis,
        resolver instanceof DnsResolver ? "own DNS server" : "system resolver");
  }

  private static Resolver resolver(Config config, org.osgi.framework.BundleContext context) {
    String spec = context == null ? null : context.getProperty(DNS_SERVER_PROPERTY);
    if (spec == null || spec.isBlank()) {
      spec = config.dns_server();
    }
    if (spec == null || spec.isBlank()) {
      return Resolver.SYSTEM;
    }
    // A bad setting fails activation: egress never silently falls back to another resolver.
    return new DnsResolver(DnsResolver.parseServer(spec), 3_000);
  }

  HttpEgressClient(
      long maxResponseCeiling,
      long maxTotalMillis,
      Resolver resolver,
      Dialer dialer,
      SSLSocketFactory tls) {
    this.maxResponseCeiling = Math.max(1, maxResponseCeiling);
    this.maxTotalMillis = Math.max(1, maxTotalMillis);
    this.resolver = resolver;
    this.dialer = dialer;
    this.tls = tls;
  }

  @Deactivate
  void deactivate() {
    closed = true;
    for (Socket s : open) {
      closeQuietly(s);
    }
    LOG.info("egress client stopped");
  }

  @Override
  public EgressResponse send(EgressRequest request, EgressPolicy policy) throws EgressException {
    if (closed) {
      throw new EgressException(UNAVAILABLE, "egress client is stopped");
    }
    long totalMillis = Math.min(policy.totalTimeout().toMillis(), maxTotalMillis);
    long deadline = System.nanoTime() + totalMillis * 1_000_000L;
    checkRequest(request);
    List<Cidr> cidrs = cidrs(policy);
    Target target;
    try {
      target = Target.parse(request.url(), policy);
    } catch (EgressException e) {
      LOG.debug("egress refused before DNS: {}", e.code());
      throw e;
    }
    List<InetAddress> addresses = resolveOnce(target);
    for (InetAddress address : addresses) {
      checkAddress(address, target, policy, cidrs);
    }
    try {
      EgressResponse response = exchange(request, target, addresses, policy, deadline);
      LOG.debug(
          "egress {} {} -> {} ({} B)",
          request.method(),
          target.loggable(),
          response.status(),
          response.body().length);
      return response;
    } catch (EgressException e) {
      LOG.debug("egress {} {} failed: {}", request.method(), target.loggable(), e.code());
      throw e;
    }
  }

  private List<InetAddress> resolveOnce(Target target) throws EgressException {
    if (target.literal() != null) {
      return List.of(Target.address(target.literal()));
    }
    List<InetAddress> addresses;
    try {
      addresses = resolver.resolve(target.host());
    } catch (UnknownHostException | RuntimeException e) {
      throw new EgressException(DNS_FAILED, "host did not resolve: " + target.host());
    }
    if (addresses == null || addresses.isEmpty()) {
      throw new EgressException(DNS_FAILED, "host resolved to no address: " + target.host());
    }
    return List.copyOf(addresses);
  }

  /** Every address must pass: one refused answer refuses the call, whatever else resolved. */
  static void checkAddress(
      InetAddress address, Target target, EgressPolicy policy, List<Cidr> cidrs)
      throws EgressException {
    byte[] raw = address.getAddress();
    AddressRanges.Verdict verdict = AddressRanges.classify(raw);
    AddressRanges.Kind kind = verdict.kind();
    if (kind == AddressRanges.Kind.PUBLIC) {
      return;
    }
    if (kind == AddressRanges.Kind.LOOPBACK && policy.devLoopback() && target.loopbackHost()) {
      return;
    }
    if (kind.liftable) {
      for (Cidr cidr : cidrs) {
        if (cidr.contains(raw) || cidr.contains(verdict.embeddedV4())) {
          return;
        }
      }
    }
    throw new EgressException(
        ADDRESS_REFUSED,
        target.host() + " resolves to a refused address (" + verdict.describe() + ")");
  }

  private EgressResponse exchange(
      EgressRequest request,
      Target target,
      List<InetAddress> addresses,
      EgressPolicy policy,
      long deadline)
      throws EgressException {
    Socket raw = dial(target, addresses, policy, deadline);
    Socket socket = raw;
    open.add(raw);
    try {
      int readMillis = (int) Math.min(Integer.MAX_VALUE, policy.readTimeout().toMillis());
      if (target.https()) {
        socket = handshake(raw, target, readMillis, deadline);
      }
      long cap = Math.min(policy.maxResponseBytes(), maxResponseCeiling);
      return new HttpExchange(socket, deadline, readMillis, cap, policy.truncateOversized())
          .run(request, target);
    } catch (SocketTimeoutException e) {
      throw new EgressException(TIMEOUT, "upstream did not answer in time");
    } catch (SSLException e) {
      throw new EgressException(TLS_FAILED, "TLS failed: " + e.getClass().getSimpleName(), e);
    } catch (IOException e) {
      throw new EgressException(
          PROTOCOL_ERROR, "connection failed: " + e.getClass().getSimpleName(), e);
    } finally {
      open.remove(raw);
      // closing the TLS layer closes the raw socket too (autoClose)
      closeQuietly(socket);
      closeQuietly(raw);
    }
  }

  /** Tries the validated addresses in the order the resolver gave them. */
  private Socket dial(
      Target target, List<InetAddress> addresses, EgressPolicy policy, long deadline)
      throws EgressException {
    IOException last = null;
    for (InetAddress address : addresses) {
      long left = remainingMillis(deadline);
      if (left <= 0) {
        throw new EgressException(TIMEOUT, "no connection within the overall timeout");
      }
      int timeout = (int) Math.min(policy.connectTimeout().toMillis(), left);
      try {
        return dialer.dial(address, target.port(), Math.max(1, timeout));
      } catch (IOException e) {
        last = e; // try the next validated address
      }
    }
    if (last instanceof SocketTimeoutException) {
      throw new EgressException(TIMEOUT, "connect to " + target.host() + " timed out");
    }
    throw new EgressException(
        CONNECT_FAILED,
        "could not connect to "
            + target.host()
            + (last == null ? "" : ": " + last.getClass().getSimpleName()),
        last);
  }

  private Socket handshake(Socket raw, Target target, int readMillis, long deadline)
      throws IOException {
    SSLSocket ssl = (SSLSocket) tls.createSocket(raw, target.bareHost(), target.port(), true);
    SSLParameters params = ssl.getSSLParameters();
    if (target.literal() == null) {
      params.setServerNames(List.of(new SNIHostName(target.bareHost())));
    }
    // verify the certificate against the URL's host, not the address we dialled
    params.setEndpointIdentificationAlgorithm("HTTPS");
    ssl.setSSLParameters(params);
    long left = remainingMillis(deadline);
    if (left <= 0) {
      throw new SocketTimeoutException("deadline passed");
    }
    ssl.setSoTimeout((int) Math.max(1, Math.min(readMillis, left)));
    ssl.startHandshake();
    return ssl;
  }

  private static void checkRequest(EgressRequest request) throws EgressException {
    String method = request.method();
    if (!method.matches("[A-Z]{1,16}") || method.equals("CONNECT") || method.equals("TRACE")) {
      throw new EgressException(REQUEST_INVALID, "unsupported HTTP method");
    }
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      String name = h.getKey();
      if (name == null || !name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")) {
        throw new EgressException(REQUEST_INVALID, "invalid request header name");
      }
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new EgressException(REQUEST_INVALID, "header is set by the client: " + name);
      }
      String value = h.getValue();
      if (value == null || !value.matches("[\\t\\x20-\\x7e]*")) {
        // never echo the value: it may be a credential
        throw new EgressException(REQUEST_INVALID, "invalid value for request header " + name);
      }
    }
  }

  private static List<Cidr> cidrs(EgressPolicy policy) throws EgressException {
    List<Cidr> out = new ArrayList<>();
    for (String text : policy.allowedCidrs()) {
      try {
        out.add(Cidr.parse(text));
      } catch (IllegalArgumentException e) {
        throw new EgressException(POLICY_INVALID, "allowed CIDR does not parse: " + text);
      }
    }
    return out;
  }

  private static long remainingMillis(long deadline) {
    return (deadline - System.nanoTime()) / 1_000_000L;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing a connection we are done with; nothing to recover
    }
  }
}
