package dev.briefcase.egress.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Turns a host name into addresses. Called at most once per egress call. */
@FunctionalInterface
interface Resolver {

  /** The system resolver. */
  Resolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

  List<InetAddress> resolve(String host) throws UnknownHostException;
}
