package dev.briefcase.keys.internal;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.keys.CustodyReport;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.MemoryReceiptLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class KeyCustodyTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private Path dir;
  private SqliteStore store;
  private final MemoryReceiptLog receipts = new MemoryReceiptLog();
  private long ids;

  @Before
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("briefcase-keys-test");
    store = new SqliteStore(dir.resolve("briefcase.db"));
  }

  @After
  public void tearDown() {
    store.close();
  }

  private KeyCustody custody(Map<String, String> props) {
    return new KeyCustody(store, receipts, Clock.systemUTC(), props::get, DirectoryTimings.DEFAULT);
  }

  private FakeSigner add(KeyCustody k, String id, boolean hardware, boolean ed25519) {
    FakeSigner s = new FakeSigner(id, hardware, ed25519);
    k.addSigner(s, s.props(++ids));
    return s;
  }

  private List<ObjectNode> lifecycle() {
    return receipts.events().stream()
        .filter(e -> "key_lifecycle".equals(e.path("type").asText()))
        .toList();
  }

  @Test
  public void rolesAreSeparateAndAutoPrefersHardware() throws Exception {
    KeyCustody k = custody(Map.of());
    FakeSigner soft = add(k, "software", false, true);
    FakeSigner tpm = add(k, "tpm2", true, false);
    KeyInfo identity = k.ensure(KeyDirectory.IDENTITY);
    KeyInfo pop = k.ensure(KeyDirectory.POP);
    assertEquals(KeyAlgorithm.ED25519, identity.handle().algorithm());
    // the TPM has no Ed25519: identity falls back to software, pop goes to the TPM
    assertEquals("software", identity.handle().signerId());
    assertEquals("tpm2", pop.handle().signerId());
    assertEquals(KeyAlgorithm.P256, pop.handle().algorithm());
    assertNotEquals(identity.thumbprint(), pop.thumbprint());
    CustodyReport r = k.check();
    assertFalse("a software identity fails key_custody", r.ok());
    assertTrue(r.detail(), r.detail().contains("identity"));
    assertEquals(2, lifecycle().size());
    assertTrue(soft.keys.containsKey(identity.handle().keyId()));
    assertTrue(tpm.keys.containsKey(pop.handle().keyId()));

    // bindings survive a restart of the directory
    KeyCustody again = custody(Map.of());
    assertEquals(identity, again.get(KeyDirectory.IDENTITY).orElseThrow());
  }

  @Test
  public void hardwareOnlyPassesTheCheck() throws Exception {
    KeyCustody k = custody(Map.of());
    add(k, "software", false, true);
    assertFalse(k.check().ok());
    add(k, "pkcs11", true, true);
    assertTrue(k.check().detail(), k.check().ok());
    k.ensure(KeyDirectory.IDENTITY);
    k.ensure(KeyDirectory.POP);
    assertTrue(k.check().ok());
    assertEquals("pkcs11", k.get(KeyDirectory.IDENTITY).orElseThrow().handle().signerId());
  }

  @Test
  public void createRotateDeleteAreReceiptedAndChecked() throws Exception {
    KeyCustody k = custody(Map.of());
    FakeSigner s = add(k, "pkcs11", true, true);
    KeyInfo a = k.create("dpop:github", null, null, "admin-api");
    expect("key_exists", () -> k.create("dpop:github", null, null, "admin-api"));
    KeyInfo b = k.rotate("dpop:github", KeyAlgorithm.ED25519, null, "admin-api");
    assertNotEquals(a.thumbprint(), b.thumbprint());
    assertFalse("the old key is destroyed", s.keys.containsKey(a.handle().keyId()));
    k.delete("dpop:github", "admin-api");
    assertFalse(s.keys.containsKey(b.handle().keyId()));
    expect("key_not_found", () -> k.delete("dpop:github", "admin-api"));
    List<ObjectNode> ev = lifecycle();
    assertEquals(
        List.of("create", "rotate", "delete"),
        ev.stream().map(e -> e.get("action").asText()).toList());
    assertTrue(ev.get(1).get("old_key_destroyed").asBoolean());
    assertEquals("admin-api", ev.get(2).get("actor").asText());

    int before = receipts.events().size();
    expect("invalid_role", () -> k.create("root", null, null, "x"));
    expect("invalid_role", () -> k.create("dpop:", null, null, "x"));
    expect("invalid_role", () -> k.create("dpop:a/b", null, null, "x"));
    expect("invalid_algorithm", () -> k.create("identity", KeyAlgorithm.P256, null, "x"));
    expect("invalid_backend", () -> k.create("pop", null, "bad id", "x"));
    expect("backend_unavailable", () -> k.create("pop", null, "tpm2", "x"));
    assertEquals("bad input changes nothing", before, receipts.events().size());
    assertTrue(k.list().isEmpty());
  }

  @Test
  public void dpopProofVerifiesAndAnAlgorithmChangeRotates() throws Exception {
    KeyCustody k = custody(Map.of());
    FakeSigner s = add(k, "pkcs11", true, true);
    String jwt =
        k.dpopProof(
            "srv", KeyAlgorithm.P256, "POST", "https://as.example/token?x=1#f", "tok", "n1");
    KeyInfo es = k.get("dpop:srv").orElseThrow();
    JsonNode claims = verify(jwt, s, es);
    assertEquals("https://as.example/token", claims.get("htu").asText());
    assertEquals("POST", claims.get("htm").asText());
    assertEquals("n1", claims.get("nonce").asText());
    assertTrue(claims.has("ath") && claims.has("jti") && claims.has("iat"));

    String ed = k.dpopProof("srv", KeyAlgorithm.ED25519, "GET", "https://rs.example/a", null, null);
    KeyInfo edKey = k.get("dpop:srv").orElseThrow();
    assertEquals(KeyAlgorithm.ED25519, edKey.handle().algorithm());
    assertFalse("old DPoP key deleted", s.keys.containsKey(es.handle().keyId()));
    verify(ed, s, edKey);
    assertEquals("rotate", lifecycle().get(1).get("action").asText());

    expect("invalid_request", () -> k.dpopProof("srv", null, "post", "https://a/", null, null));
    expect("invalid_request", () -> k.dpopProof("srv", null, "GET", "ftp://a/", null, null));
    expect("invalid_role", () -> k.dpopProof("bad server", null, "GET", "https://a/", null, null));
  }

  private static JsonNode verify(String jwt, FakeSigner s, KeyInfo key) throws Exception {
    String[] parts = jwt.split("\\.");
    assertEquals(3, parts.length);
    Base64.Decoder d = Base64.getUrlDecoder();
    JsonNode header = MAPPER.readTree(d.decode(parts[0]));
    assertEquals("dpop+jwt", header.get("typ").asText());
    assertEquals(MAPPER.readTree(key.publicJwk()), header.get("jwk"));
    KeyPair pair = s.keys.get(key.handle().keyId());
    Signature v =
        Signature.getInstance(
            key.handle().algorithm() == KeyAlgorithm.ED25519
                ? "Ed25519"
                : "SHA256withECDSAinP1363Format");
    v.initVerify(pair.getPublic());
    v.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertTrue("signature verifies", v.verify(d.decode(parts[2])));
    return MAPPER.readTree(d.decode(parts[1]));
  }

  @Test
  public void aMissingBackendFailsFastAndAReplacementIsPickedUp() throws Exception {
    KeyCustody k = custody(Map.of());
    FakeSigner first = add(k, "pkcs11", true, true);
    long firstId = ids;
    byte[] msg = "m".getBytes(StandardCharsets.UTF_8);
    KeyInfo pop = k.ensure("pop");
    k.sign("pop", msg);

    // an update: the signer leaves and a new instance with the same keys comes back
    first.stopped = true;
    k.removeSigner(first, first.props(firstId));
    FakeSigner second = new FakeSigner("pkcs11", true, true);
    second.keys.putAll(first.keys);
    second.algs.putAll(first.algs);
    Thread later =
        new Thread(
            () -> {
              try {
                Thread.sleep(300);
              } catch (InterruptedException e) {
                return;
              }
              k.addSigner(second, second.props(++ids));
            });
    later.start();
    long t0 = System.nanoTime();
    byte[] sig = k.sign("pop", msg); // waits for the successor within the grace window
    assertTrue(sig.length == 64);
    assertTrue((System.nanoTime() - t0) / 1_000_000 >= 200);
    later.join();

    // uninstalled for good: after the grace window calls fail with backend_unavailable
    second.stopped = true;
    k.removeSigner(second, second.props(ids));
    t0 = System.nanoTime();
    expect("backend_unavailable", () -> k.sign("pop", msg));
    long waited = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(
        "bounded wait: " + waited, waited < DirectoryTimings.DEFAULT.swapGrace().toMillis() + 1000);
    assertEquals(pop, k.get("pop").orElseThrow());

    // a backend never seen is unavailable at once
    KeyCustody fresh = custody(Map.of("briefcase.key.backend", "tpm2"));
    t0 = System.nanoTime();
    expect("backend_unavailable", () -> fresh.create("dpop:x", null, null, "t"));
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 500);
  }

  @Test
  public void unbindingASignerWaitsForTheSignRunningOnIt() throws Exception {
    KeyCustody k = custody(Map.of());
    FakeSigner token = add(k, "pkcs11", true, true);
    long tokenId = ids;
    k.ensure("pop");
    token.entered = new CountDownLatch(1);
    token.release = new CountDownLatch(1);
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      Future<byte[]> sign = pool.submit(() -> k.sign("pop", new byte[] {7}));
      assertTrue("the sign started", token.entered.await(20, SECONDS));
      Future<?> unbind = pool.submit(() -> k.removeSigner(token, token.props(tokenId)));
      try {
        unbind.get(300, MILLISECONDS);
        fail("the signer was unbound while a sign was running on it");
      } catch (TimeoutException expected) {
        // draining: unbind (and so the signer's deactivation) waits for the running sign
      }
      token.release.countDown();
      assertEquals(64, sign.get(20, SECONDS).length);
      unbind.get(20, SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void aBackendFamilyMatchesNamedSigners() throws Exception {
    KeyCustody k = custody(Map.of("briefcase.key.backend", "pkcs11"));
    add(k, "software", false, true);
    add(k, "pkcs11-hsm2", true, true);
    assertEquals("pkcs11-hsm2", k.ensure("pop").handle().signerId());
    assertEquals("pkcs11", SignerDirectory.family("pkcs11-hsm2"));
  }

  @Test
  public void gaRefusesSoftwareKeysUnlessAllowed() throws Exception {
    try {
      custody(Map.of("briefcase.profile.mode", "ga", "briefcase.key.backend", "software"));
      fail("ga + software must refuse");
    } catch (IllegalStateException expected) {
      // refused
    }
    KeyCustody ga = custody(Map.of("briefcase.profile.mode", "ga"));
    add(ga, "software", false, true);
    expect("software_keys_refused", () -> ga.ensure("pop"));
    assertTrue(ga.list().isEmpty());

    KeyCustody allowed =
        custody(Map.of("briefcase.profile.mode", "ga", "briefcase.allow.software.keys", "1"));
    add(allowed, "software", false, true);
    assertEquals(64, allowed.sign("pop", new byte[] {1}).length);
    assertFalse(allowed.check().ok());
  }

  @Test
  public void invalidConfiguredBackendRefusesToStart() {
    try {
      custody(Map.of("briefcase.key.backend", "floppy"));
      fail();
    } catch (IllegalStateException expected) {
      assertTrue(expected.getMessage().contains("BRIEFCASE_KEY_BACKEND"));
    }
  }

  interface Action {
    void run() throws Exception;
  }

  private static void expect(String code, Action a) throws Exception {
    try {
      a.run();
      fail("expected " + code);
    } catch (KeyException e) {
      assertEquals(e.getMessage(), code, e.code());
    }
  }
}
