package dev.briefcase.egress.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocketFactory;
import org.junit.Test;

/**
 * A resolver that answers a public address first and loopback afterwards (a rebinding attack): the
 * client must resolve once and dial exactly the address it validated.
 */
public class DnsRebindingTest {

  @Test
  public void resolvesOnceAndDialsTheValidatedAddress() {
    InetAddress publicAddress = EgressRulesTest.addr("203.0.113.10");
    InetAddress loopback = EgressRulesTest.addr("127.0.0.1");
    AtomicInteger calls = new AtomicInteger();
    List<InetAddress> dialled = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    HttpEgressClient client =
        new HttpEgressClient(
            1 << 20,
            10_000,
            host -> List.of(calls.getAndIncrement() == 0 ? publicAddress : loopback),
            (address, port, timeout) -> {
              // capture instead of dialling: nothing leaves the machine
              dialled.add(address);
              ports.add(port);
              throw new IOException("captured");
            },
            (SSLSocketFactory) SSLSocketFactory.getDefault());
    EgressPolicy policy = EgressPolicy.of(Set.of("rebind.example.com"), List.of("/"));
    try {
      client.send(EgressRequest.get("https://rebind.example.com:8443/x?q=1"), policy);
      fail("the capturing dialer never connects");
    } catch (EgressException e) {
      assertEquals(EgressException.CONNECT_FAILED, e.code());
    }
    assertEquals("resolver called exactly once", 1, calls.get());
    assertEquals(List.of(publicAddress), dialled);
    assertEquals(List.of(8443), ports);
  }
}
