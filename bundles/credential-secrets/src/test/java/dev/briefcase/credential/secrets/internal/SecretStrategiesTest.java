package dev.briefcase.credential.secrets.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.testing.BundleContexts;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;

/**
 * The {@code api_key} and {@code basic} strategies over a real (in-memory) secret store: the
 * headers they build, the names and values they refuse, and canary secrets that never reach a
 * message.
 */
public class SecretStrategiesTest {
  private static final String CANARY = "CANARY-key-51c0e2";
  private static final URI TARGET = URI.create("https://api.example.com/v1/items");

  private SecretStore store;
  private ApiKeyStrategy apiKey;
  private BasicStrategy basic;
  private final List<String> messages = new ArrayList<>();

  @Before
  public void setUp() {
    store = new MemorySecretStore(BundleContexts.withoutProperties());
    apiKey = new ApiKeyStrategy(store);
    basic = new BasicStrategy(store);
  }

  private void put(String id, String value) {
    store.put(id, Sensitive.of(value.getBytes(StandardCharsets.UTF_8)));
  }

  private static String header(RequestCredential c, String name) {
    return c.headers().get(name).reveal();
  }

  @Test
  public void anApiKeyGoesInTheHeaderTheToolNames() {
    put("svc.key", CANARY);
    CredentialNeed bearer = new CredentialNeed(CredentialNeed.API_KEY, "svc.key");
    apiKey.preflight(bearer);
    assertEquals(
        "Bearer " + CANARY, header(apiKey.authorize(bearer, "GET", TARGET), "Authorization"));
    CredentialNeed custom =
        new CredentialNeed(CredentialNeed.API_KEY, "svc.key", Map.of("header", "X-Api-Key"));
    RequestCredential c = apiKey.authorize(custom, "GET", TARGET);
    assertEquals(CANARY, header(c, "X-Api-Key"));
    assertEquals(1, c.headers().size());
    assertFalse("the credential prints no value", c.toString().contains(CANARY));
    CredentialNeed prefixed =
        new CredentialNeed(
            CredentialNeed.API_KEY,
            "svc.key",
            Map.of("header", "Authorization", "prefix", "Token "));
    assertEquals(
        "Token " + CANARY, header(apiKey.authorize(prefixed, "GET", TARGET), "Authorization"));
  }

  @Test
  public void basicCredentialsAreEncodedAsRfc7617Says() {
    put("svc.basic", "alice:" + CANARY);
    CredentialNeed need = new CredentialNeed(CredentialNeed.BASIC, "svc.basic");
    basic.preflight(need);
    String value = header(basic.authorize(need, "POST", TARGET), "Authorization");
    assertEquals(
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString(("alice:" + CANARY).getBytes(StandardCharsets.UTF_8)),
        value);
  }

  @Test
  public void aMissingSecretEndsThePreflight() {
    expect(
        CredentialException.MISSING_SECRET,
        () -> apiKey.preflight(new CredentialNeed(CredentialNeed.API_KEY, "nothing.here")));
    expect(
        CredentialException.MISSING_SECRET,
        () -> basic.preflight(new CredentialNeed(CredentialNeed.BASIC, "nothing.here")));
  }

  @Test
  public void headersThatSteerTheRequestCannotBeChosen() {
    put("svc.key", CANARY);
    for (String name :
        List.of(
            "Host", "content-length", "Transfer-Encoding", "Cookie", "DPoP", "X Bad", "X:y", "")) {
      expect(
          CredentialException.INVALID_CREDENTIAL_NEED,
          () ->
              apiKey.authorize(
                  new CredentialNeed(CredentialNeed.API_KEY, "svc.key", Map.of("header", name)),
                  "GET",
                  TARGET));
    }
    expect(
        CredentialException.INVALID_CREDENTIAL_NEED,
        () ->
            apiKey.preflight(
                new CredentialNeed(CredentialNeed.API_KEY, "svc.key", Map.of("query", "k"))));
    expect(
        CredentialException.INVALID_CREDENTIAL_NEED,
        () ->
            basic.preflight(
                new CredentialNeed(CredentialNeed.BASIC, "svc.key", Map.of("header", "X-A"))));
  }

  @Test
  public void aStoredValueCannotInjectAHeader() {
    put("inject", CANARY + "\r\nX-Evil: 1");
    put("nul", CANARY + "\u0000");
    store.put("latin1", Sensitive.of(new byte[] {(byte) 0xff, (byte) 0xfe, 'a'}));
    put("nocolon", CANARY);
    put("nouser", ":" + CANARY);
    // a header value is printable ASCII only: C1 controls, DEL, other non-ASCII and TAB are
    // refused here rather than by egress after the secret was read
    put("c1", CANARY + "\u0085");
    put("csi", CANARY + "\u009b");
    put("del", CANARY + "\u007f");
    put("accent", CANARY + "\u00e9");
    put("nbsp", CANARY + "\u00a0");
    put("tab", CANARY + "\t");
    put("empty", "");
    for (String id :
        List.of("inject", "nul", "latin1", "c1", "csi", "del", "accent", "nbsp", "tab", "empty")) {
      expect(
          CredentialException.INVALID_SECRET_VALUE,
          () -> apiKey.authorize(new CredentialNeed(CredentialNeed.API_KEY, id), "GET", TARGET));
    }
    for (String id : List.of("inject", "nocolon", "nouser", "c1", "csi", "del", "latin1")) {
      expect(
          CredentialException.INVALID_SECRET_VALUE,
          () -> basic.authorize(new CredentialNeed(CredentialNeed.BASIC, id), "GET", TARGET));
    }
  }

  @Test
  public void printableAsciiIsUsedAsIs() {
    String edges = " !~" + CANARY + "~! ";
    put("edges", edges);
    assertEquals(
        edges,
        header(
            apiKey.authorize(
                new CredentialNeed(CredentialNeed.API_KEY, "edges", Map.of("header", "X-K")),
                "GET",
                TARGET),
            "X-K"));
  }

  @Test
  public void basicTakesUtf8PasswordsAsRfc7617Says() {
    // the pair is base64-encoded, so the header stays ASCII; only control characters are refused
    put("utf8", "jos\u00e9:" + CANARY + "\u00e9");
    CredentialNeed need = new CredentialNeed(CredentialNeed.BASIC, "utf8");
    assertEquals(
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString(
                    ("jos\u00e9:" + CANARY + "\u00e9").getBytes(StandardCharsets.UTF_8)),
        header(basic.authorize(need, "GET", TARGET), "Authorization"));
  }

  @Test
  public void aRefusalIsFinal() {
    put("svc.key", CANARY);
    Rejection r = new Rejection(401, "Bearer error=\"invalid_token\"", null, null);
    expect(
        CredentialException.CREDENTIAL_REJECTED,
        () ->
            apiKey.rejected(
                new CredentialNeed(CredentialNeed.API_KEY, "svc.key"), "GET", TARGET, r));
    expect(
        CredentialException.CREDENTIAL_REJECTED,
        () ->
            basic.rejected(new CredentialNeed(CredentialNeed.BASIC, "svc.key"), "GET", TARGET, r));
  }

  @Test
  public void noMessageCarriesTheSecret() {
    aStoredValueCannotInjectAHeader();
    aRefusalIsFinal();
    aMissingSecretEndsThePreflight();
    assertFalse(messages.isEmpty());
    for (String m : messages) {
      assertFalse(m, m.contains(CANARY));
    }
  }

  private void expect(String code, Runnable r) {
    try {
      r.run();
      fail("expected " + code);
    } catch (CredentialException e) {
      assertEquals(e.getMessage(), code, e.code());
      messages.add(e.getMessage());
    }
  }
}
