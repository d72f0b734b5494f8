package dev.briefcase.provider.gateway.internal;

import static dev.briefcase.provider.gateway.internal.Fixture.BASE;
import static dev.briefcase.provider.gateway.internal.Fixture.headers;
import static dev.briefcase.provider.gateway.internal.Fixture.json;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.dpop.DpopException;
import dev.briefcase.dpop.DpopProof;
import dev.briefcase.dpop.DpopRequest;
import dev.briefcase.dpop.Thumbprints;
import dev.briefcase.testing.NodeProject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Interop with panva/jose 6.2.17 ({@code src/test/js}, installed by {@code npm ci} from the
 * committed lock): jose's DPoP proofs (EdDSA and ES256) pass our verifier with jose's own RFC 7638
 * thumbprint, and jose verifies our capability tokens against our JWKS.
 */
public class JoseInteropTest {
  static final String TOKEN_URL = BASE + "/token";
  static final String QUOTE_URL = BASE + "/api/quote";

  static NodeProject js;

  final Fixture f = new Fixture();
  final ProviderApi api;

  public JoseInteropTest() {
    f.clock.now = Instant.now();
    api = f.api(Fixture.settings(0, false, false, 0, null), new PaymentChallenge(null, null, 0));
  }

  @BeforeClass
  public static void install() throws Exception {
    js =
        NodeProject.at(
                "briefcase.provider.js",
                "src/test/js",
                "jose",
                "@digitalbazaar/vc-bitstring-status-list")
            .install();
  }

  static JsonNode jose(ObjectNode request) throws Exception {
    return json(js.run("interop.mjs", Json.bytes(request), Duration.ofSeconds(60)));
  }

  @Test
  public void joseProofsPassOurVerifierWithJosesThumbprint() throws Exception {
    String accessToken = "an-access-token";
    JsonNode proofs =
        jose(Json.newObject()
                .put("op", "proofs")
                .put("htm", "GET")
                .put("htu", QUOTE_URL)
                .put("ath", Thumbprints.sha256(accessToken)))
            .get("proofs");
    assertEquals(2, proofs.size());
    for (JsonNode p : proofs) {
      DpopProof ok =
          f.dpop.verify(
              new DpopRequest(
                  p.get("proof").asText(),
                  "GET",
                  QUOTE_URL + "?symbol=ACME",
                  accessToken,
                  p.get("jkt").asText(),
                  false));
      assertEquals(p.get("alg").asText(), ok.alg());
      assertEquals(p.get("jkt").asText(), ok.jkt());
      try {
        f.dpop.verify(
            new DpopRequest(
                p.get("proof").asText(),
                "GET",
                QUOTE_URL,
                accessToken,
                p.get("jkt").asText(),
                false));
        throw new AssertionError("a replayed jose proof was accepted");
      } catch (DpopException e) {
        assertEquals("replay_detected", e.code());
      }
    }
  }

  @Test
  public void joseMintProofsBindTheCapabilityToJosesKey() throws Exception {
    JsonNode proofs =
        jose(Json.newObject().put("op", "proofs").put("htm", "POST").put("htu", TOKEN_URL))
            .get("proofs");
    for (JsonNode p : proofs) {
      ApiResponse r = api.mint(headers("DPoP", p.get("proof").asText()), new byte[0]);
      assertEquals(new String(r.body()), 200, r.status());
      String token = json(r.body()).get("token").asText();
      assertEquals(p.get("jkt").asText(), Fixture.claims(token).get("cnf").get("jkt").asText());
    }
  }

  @Test
  public void joseVerifiesOurCapabilityAgainstOurJwks() throws Exception {
    String proof = new Fixture.EdKey().proof("POST", TOKEN_URL, f.clock.now, null, null);
    String token = json(api.mint(headers("DPoP", proof), new byte[0]).body()).get("token").asText();
    ObjectNode request =
        Json.newObject().put("op", "verify").put("token", token).put("issuer", BASE);
    request.set("jwks", json(api.jwks().body()));
    JsonNode out = jose(request);
    assertTrue(out.toString(), out.get("ok").asBoolean());
    assertEquals("quote", out.get("payload").get("scope").asText());
    assertEquals(
        Fixture.claims(token).get("cnf").get("jkt").asText(),
        out.get("payload").get("cnf").get("jkt").asText());
    assertEquals(f.identity.current().kid(), out.get("header").get("kid").asText());

    // and refuses a token by another key under our kid
    Fixture.EdKey attacker = new Fixture.EdKey();
    String forged =
        attacker.jws(
            Json.newObject()
                .put("alg", "EdDSA")
                .put("typ", "JWT")
                .put("kid", f.identity.current().kid()),
            (ObjectNode) Fixture.claims(token));
    request.put("token", forged);
    JsonNode refused = jose(request);
    assertFalse(refused.get("ok").asBoolean());
    assertEquals("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", refused.get("code").asText());
  }

  @Test
  public void npmDecodesOurServedStatusListAndJoseVerifiesItAndTheVc() throws Exception {
    Path dir = Files.createTempDirectory("provider-vc-interop");
    dev.briefcase.store.internal.SqliteStore store =
        new dev.briefcase.store.internal.SqliteStore(dir.resolve("briefcase.db"));
    try {
      Settings settings = Fixture.settings(0, false, false, 0, null);
      VcIssuer issuer =
          new VcIssuer(
              settings,
              f.clock,
              f.identity,
              new IssuedCredentials(store),
              new java.security.SecureRandom(),
              "gold",
              300_000);
      ProviderApi vcApi = f.api(settings, new PaymentChallenge(null, null, 0), issuer);
      Fixture.EdKey holder = new Fixture.EdKey();
      String holderDid = dev.briefcase.vc.DidKey.ed25519(holder.pub).did();
      String vcs = BASE + "/vc/issue";
      String at = issueAccessToken();
      List<String> ids = new java.util.ArrayList<>();
      List<Long> indexes = new java.util.ArrayList<>();
      String vc = null;
      for (int i = 0; i < 3; i++) {
        ApiResponse r =
            vcApi.issueVc(
                headers(
                    "Authorization",
                    "Bearer " + at,
                    "DPoP",
                    holder.proof("POST", vcs, f.clock.now, null, null)),
                holderDid);
        vc = json(r.body()).get("vc_jwt").asText();
        ids.add(Fixture.claims(vc).get("id").asText());
        indexes.add(
            Fixture.claims(vc).get("credentialStatus").get(0).get("statusListIndex").asLong());
      }
      vcApi.vcStatus(
          headers("x-aag-admin-secret", "s3cret-admin"),
          VcIssuer.Action.REVOKE,
          ("{\"id\":\"" + ids.get(1) + "\"}").getBytes(StandardCharsets.UTF_8));
      String list =
          new String(vcApi.statusList(headers(), "revocation").body(), StandardCharsets.US_ASCII);

      ObjectNode decode =
          Json.newObject()
              .put("op", "decode")
              .put(
                  "encodedList",
                  Fixture.claims(list).get("credentialSubject").get("encodedList").asText());
      indexes.forEach(decode.putArray("indexes")::add);
      JsonNode decoded = jose(decode);
      assertTrue(decoded.toString(), decoded.get("ok").asBoolean());
      assertEquals(131_072, decoded.get("length").asInt());
      assertFalse(decoded.get("bits").get(0).asBoolean());
      assertTrue(decoded.get("bits").get(1).asBoolean());
      assertFalse(decoded.get("bits").get(2).asBoolean());

      for (String jwt : new String[] {list, vc}) {
        ObjectNode verify =
            Json.newObject().put("op", "verify").put("token", jwt).put("typ", "vc+jwt");
        verify.set("jwks", json(vcApi.jwks().body()));
        JsonNode out = jose(verify);
        assertTrue(out.toString(), out.get("ok").asBoolean());
        assertEquals(f.identity.current().kid(), out.get("header").get("kid").asText());
      }
    } finally {
      store.close();
    }
  }

  private String issueAccessToken() {
    ObjectNode c =
        Json.newObject()
            .put("iss", BASE)
            .put("aud", BASE)
            .put("sub", "client-1")
            .put("client_id", "client-1")
            .put("scope", "vc")
            .put("iat", f.clock.now.getEpochSecond())
            .put("exp", f.clock.now.getEpochSecond() + 600)
            .put("jti", "at-vc");
    return f.identity.jws(
        Json.newObject()
            .put("alg", "EdDSA")
            .put("typ", "at+jwt")
            .put("kid", f.identity.current().kid()),
        c);
  }
}
