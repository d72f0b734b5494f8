package dev.briefcase.sandbox.internal;

import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every request and answers a fixed body, or throws a preset refusal. */
final class FakeEgress implements EgressClient {
  final List<EgressRequest> calls = new CopyOnWriteArrayList<>();
  final List<EgressPolicy> policies = new CopyOnWriteArrayList<>();
  volatile String refuseWith;

  @Override
  public EgressResponse send(EgressRequest request, EgressPolicy policy) throws EgressException {
    calls.add(request);
    policies.add(policy);
    if (refuseWith != null) {
      throw new EgressException(refuseWith, "refused by fake");
    }
    return new EgressResponse(200, Map.of(), "{\"price\":42}".getBytes(StandardCharsets.UTF_8));
  }
}
