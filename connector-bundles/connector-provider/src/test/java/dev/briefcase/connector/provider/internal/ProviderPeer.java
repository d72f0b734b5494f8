package dev.briefcase.connector.provider.internal;

import dev.briefcase.testing.Upstream;
import dev.briefcase.testing.Upstream.Answer;
import dev.briefcase.testing.Upstream.Seen;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted reference provider (SPEC §8.2) on the test {@link Upstream}: {@code POST /token} mints
 * {@code <header>.<claims with cnf.jkt>.cap-canary-<n>-<uuid>} tokens, {@code GET /api/quote}
 * checks {@code Authorization: DPoP}, a proof with the capability's {@code ath} and the key it was
 * minted with, usage against {@code max_calls}, a jti denylist and an optional nonce. Every token
 * it minted is in {@link #minted}.
 */
final class ProviderPeer implements Upstream.Script {
  final List<String> minted = new CopyOnWriteArrayList<>();
  final Set<String> revoked = ConcurrentHashMap.newKeySet();
  final AtomicInteger mints = new AtomicInteger();
  private final Map<String, String> boundKey = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> used = new ConcurrentHashMap<>();
  volatile int maxCalls = 50;
  volatile long lifetimeSeconds = 600;
  volatile String mintNonce; // when set, a mint proof must carry it (else 400 use_dpop_nonce)
  volatile String quoteNonce; // when set, a quote proof must carry it (else 401 use_dpop_nonce)
  volatile boolean paid; // 402 on an unauthenticated mint
  volatile String acceptPayment; // when set, a mint with this PAYMENT-SIGNATURE is paid
  volatile boolean paymentFirst; // the 402 comes before the proof's nonce is checked (reference)
  volatile String mintBody; // a hostile mint answer, when set
  volatile String mintJkt; // when set, the cnf.jkt of minted tokens (else the mint proof's key)
  volatile boolean unbound; // minted tokens carry no cnf
  volatile int limit = -1; // when set, the calls the peer allows per token (else max_calls)
  volatile int failStatus; // when set, the quote answers this status (echoing when echo is on)
  volatile boolean echo; // the quote answer echoes the request's credential headers

  @Override
  public Answer answer(Seen r, int index) {
    if (r.method().equals("POST") && r.rawPath().equals("/token")) {
      return mint(r);
    }
    if (r.method().equals("GET") && r.rawPath().equals("/api/quote")) {
      return quote(r);
    }
    return Answer.json(404, "{\"error\":\"not_found\"}");
  }

  private Answer mint(Seen r) {
    String proof = r.header("DPoP");
    if (proof == null) {
      return Answer.json(401, "{\"error\":\"missing_dpop\"}");
    }
    String claims = Fakes.claims(proof);
    if (paymentFirst && unpaid(r)) {
      return Answer.json(402, "{\"error\":\"payment_required\"}");
    }
    if (mintNonce != null && !claims.contains("\"nonce\":\"" + mintNonce + "\"")) {
      return new Answer(
          400,
          Map.of("Content-Type", "application/json", "DPoP-Nonce", mintNonce),
          "{\"error\":\"use_dpop_nonce\"}".getBytes(StandardCharsets.UTF_8));
    }
    if (unpaid(r)) {
      return Answer.json(402, "{\"error\":\"payment_required\"}");
    }
    if (mintBody != null) {
      return Answer.json(200, mintBody);
    }
    // a JWT-shaped capability bound (cnf.jkt) to the key of the mint proof; the canary stands in
    // for the signature, so a leak of the token is easy to grep
    String cnf =
        unbound
            ? ""
            : "\"cnf\":{\"jkt\":\"" + (mintJkt != null ? mintJkt : Fakes.jkt(key(claims))) + "\"},";
    String token =
        Fakes.b64("{\"alg\":\"ES256\",\"typ\":\"JWT\"}")
            + "."
            + Fakes.b64("{" + cnf + "\"max_calls\":" + maxCalls + "}")
            + ".cap-canary-"
            + mints.incrementAndGet()
            + "-"
            + UUID.randomUUID();
    minted.add(token);
    boundKey.put(token, key(claims));
    used.put(token, new AtomicInteger());
    return Answer.json(
        200,
        "{\"token\":\""
            + token
            + "\",\"expires_at_rfc3339\":\""
            + Instant.now().plusSeconds(lifetimeSeconds)
            + "\",\"max_calls\":"
            + maxCalls
            + ",\"compatibility_profile\":\"aacp_v1\"}");
  }

  private boolean unpaid(Seen r) {
    return paid
        && r.header("Authorization") == null
        && (acceptPayment == null || !acceptPayment.equals(r.header("PAYMENT-SIGNATURE")));
  }

  private Answer quote(Seen r) {
    String auth = r.header("Authorization");
    String proof = r.header("DPoP");
    if (auth == null || !auth.startsWith("DPoP ") || !minted.contains(auth.substring(5))) {
      return Answer.json(401, "{\"error\":\"invalid_token\"}");
    }
    String token = auth.substring(5);
    if (revoked.contains(token)) {
      return new Answer(
          403,
          Map.of("Content-Type", "application/json", "x-briefcase-error", "capability_revoked"),
          "{\"error\":\"capability_revoked\"}".getBytes(StandardCharsets.UTF_8));
    }
    String claims = proof == null ? "" : Fakes.claims(proof);
    if (!claims.contains("\"ath\":\"" + Fakes.ath(token) + "\"")
        || !key(claims).equals(boundKey.get(token))) {
      return new Answer(
          401,
          Map.of("WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\""),
          "{\"error\":\"invalid_dpop\"}".getBytes(StandardCharsets.UTF_8));
    }
    if (quoteNonce != null && !claims.contains("\"nonce\":\"" + quoteNonce + "\"")) {
      return new Answer(
          401,
          Map.of("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\"", "DPoP-Nonce", quoteNonce),
          new byte[0]);
    }
    if (used.get(token).incrementAndGet() > (limit >= 0 ? limit : maxCalls)) {
      return Answer.json(429, "{\"error\":\"max_calls_exceeded\"}");
    }
    String symbol = r.rawQuery() == null ? "" : r.rawQuery().replace("symbol=", "");
    String extra = echo ? ",\"echo\":\"" + auth + "\",\"proof\":\"" + proof + "\"" : "";
    if (failStatus != 0) {
      return Answer.json(failStatus, "{\"error\":\"boom\"" + extra + "}");
    }
    return Answer.json(200, "{\"symbol\":\"" + symbol + "\",\"price\":\"123.45\"" + extra + "}");
  }

  private static String key(String claims) {
    int i = claims.indexOf("\"key\":\"") + 7;
    return claims.substring(i, claims.indexOf('"', i));
  }
}
