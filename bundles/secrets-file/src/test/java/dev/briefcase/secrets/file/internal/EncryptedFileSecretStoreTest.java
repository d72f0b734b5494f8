package dev.briefcase.secrets.file.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class EncryptedFileSecretStoreTest {

  private static final String PASS = "correct horse battery staple";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path dataDir;
  private final List<EncryptedFileSecretStore> opened = new ArrayList<>();

  @Before
  public void setUp() throws IOException {
    dataDir = tmp.newFolder("data").toPath();
  }

  @After
  public void tearDown() {
    opened.forEach(EncryptedFileSecretStore::deactivate);
  }

  private static Function<String, String> env(String passphrase) {
    return passphrase == null ? k -> null : Map.of(PassphraseSource.ENV_VAR, passphrase)::get;
  }

  private EncryptedFileSecretStore open(String passphrase) {
    return open(dataDir, "reference", new TestConfig(), env(passphrase));
  }

  private EncryptedFileSecretStore open(
      Path data, String profile, TestConfig cfg, Function<String, String> env) {
    EncryptedFileSecretStore s = new EncryptedFileSecretStore(data, profile, cfg, env);
    opened.add(s);
    return s;
  }

  private static Sensitive<byte[]> bytes(String s) {
    return Sensitive.of(s.getBytes(UTF_8));
  }

  private static String text(Optional<Sensitive<byte[]>> v) {
    assertTrue("expected a value", v.isPresent());
    return new String(v.get().reveal(), UTF_8);
  }

  private Path storeDir() {
    return dataDir.resolve("secrets");
  }

  private Path recordFile(String id) {
    return storeDir().resolve(StoreCrypto.fileHash(id) + ".json");
  }

  private static void assertCode(String code, Runnable r) {
    try {
      r.run();
      fail("expected SecretStoreException " + code);
    } catch (SecretStoreException e) {
      assertEquals(e.getMessage(), code, e.code());
    }
  }

  // --- behaviour --------------------------------------------------------------------------------

  @Test
  public void theStoreSeesNoEnvironmentVariableButThePassphrase() {
    String someVariable =
        System.getenv().keySet().stream()
            .filter(name -> !name.equals(PassphraseSource.ENV_VAR))
            .findFirst()
            .orElseThrow();
    assertNotNull(System.getenv(someVariable));
    assertNull(EncryptedFileSecretStore.passphraseVariable(someVariable));
    assertNull(EncryptedFileSecretStore.passphraseVariable("BRIEFCASE_SECRET_BACKEND"));
    assertEquals(
        System.getenv(PassphraseSource.ENV_VAR),
        EncryptedFileSecretStore.passphraseVariable(PassphraseSource.ENV_VAR));
  }

  @Test
  public void putGetDeleteIdsRoundTrip() {
    EncryptedFileSecretStore s = open(PASS);
    assertEquals(List.of(), s.ids());
    assertFalse(s.get("absent").isPresent());

    s.put("zeta", bytes("z-value"));
    s.put("alpha:1", bytes("a-value"));
    assertEquals("z-value", text(s.get("zeta")));
    assertEquals("a-value", text(s.get("alpha:1")));
    assertEquals(List.of("alpha:1", "zeta"), s.ids());

    s.put("zeta", bytes("replaced"));
    assertEquals("replaced", text(s.get("zeta")));

    assertTrue(s.delete("zeta"));
    assertFalse(s.delete("zeta"));
    assertFalse(s.get("zeta").isPresent());
    assertFalse(Files.exists(recordFile("zeta")));
    assertEquals(List.of("alpha:1"), s.ids());
  }

  @Test
  public void emptyValueRoundTrips() {
    EncryptedFileSecretStore s = open(PASS);
    s.put("empty", Sensitive.of(new byte[0]));
    assertArrayEquals(new byte[0], s.get("empty").get().reveal());
  }

  @Test
  public void persistsAcrossInstances() {
    EncryptedFileSecretStore first = open(PASS);
    first.put("keys.software.id.ed25519_seed", bytes("seed"));
    first.put("oauth.refresh", bytes("token"));
    first.deactivate();

    EncryptedFileSecretStore second = open(PASS);
    assertEquals(List.of("keys.software.id.ed25519_seed", "oauth.refresh"), second.ids());
    assertEquals("seed", text(second.get("keys.software.id.ed25519_seed")));
    assertEquals("token", text(second.get("oauth.refresh")));
  }

  @Test
  public void headerKeepsKdfParametersOfTheStoreNotTheConfig() {
    open(PASS).put("a", bytes("1"));
    TestConfig other = new TestConfig();
    other.memoryKib = 2048;
    other.iterations = 2;
    // Reopening with different configured costs must still derive the store's own key.
    EncryptedFileSecretStore s = open(dataDir, "reference", other, env(PASS));
    assertEquals("1", text(s.get("a")));
  }

  @Test
  public void wrongPassphraseIsRejected() {
    open(PASS).put("a", bytes("1"));
    assertCode("wrong_passphrase", () -> open("not the passphrase"));
  }

  @Test
  public void flippedCiphertextByteIsTampered() throws IOException {
    EncryptedFileSecretStore s = open(PASS);
    s.put("victim", bytes("value"));
    s.put("bystander", bytes("other"));
    ObjectMapper m = new ObjectMapper();
    ObjectNode rec = (ObjectNode) m.readTree(recordFile("victim").toFile());
    byte[] ct = Base64.getDecoder().decode(rec.get("ciphertext_b64").asText());
    ct[0] ^= 0x01;
    rec.put("ciphertext_b64", Base64.getEncoder().encodeToString(ct));
    Files.write(recordFile("victim"), m.writeValueAsBytes(rec));

    assertCode("secret_tampered", () -> s.get("victim"));
    // A fresh instance still starts, lists the id, refuses the record and serves the others.
    EncryptedFileSecretStore again = open(PASS);
    assertTrue(again.ids().contains("victim"));
    assertCode("secret_tampered", () -> again.get("victim"));
    assertEquals("other", text(again.get("bystander")));
  }

  @Test
  public void flippedTagByteIsTampered() throws IOException {
    EncryptedFileSecretStore s = open(PASS);
    s.put("victim", bytes("value"));
    ObjectMapper m = new ObjectMapper();
    ObjectNode rec = (ObjectNode) m.readTree(recordFile("victim").toFile());
    byte[] ct = Base64.getDecoder().decode(rec.get("ciphertext_b64").asText());
    ct[ct.length - 1] ^= (byte) 0x80;
    rec.put("ciphertext_b64", Base64.getEncoder().encodeToString(ct));
    Files.write(recordFile("victim"), m.writeValueAsBytes(rec));
    assertCode("secret_tampered", () -> s.get("victim"));
  }

  @Test
  public void ciphertextsSwappedBetweenIdsAreTampered() throws IOException {
    EncryptedFileSecretStore s = open(PASS);
    s.put("one", bytes("first"));
    s.put("two", bytes("second"));
    ObjectMapper m = new ObjectMapper();
    ObjectNode a = (ObjectNode) m.readTree(recordFile("one").toFile());
    ObjectNode b = (ObjectNode) m.readTree(recordFile("two").toFile());
    for (String f : List.of("nonce_b64", "ciphertext_b64")) {
      String t = a.get(f).asText();
      a.put(f, b.get(f).asText());
      b.put(f, t);
    }
    Files.write(recordFile("one"), m.writeValueAsBytes(a));
    Files.write(recordFile("two"), m.writeValueAsBytes(b));
    assertCode("secret_tampered", () -> s.get("one"));
    assertCode("secret_tampered", () -> s.get("two"));
  }

  @Test
  public void wholeRecordFilesSwappedAreTampered() throws IOException {
    EncryptedFileSecretStore s = open(PASS);
    s.put("one", bytes("first"));
    s.put("two", bytes("second"));
    byte[] a = Files.readAllBytes(recordFile("one"));
    byte[] b = Files.readAllBytes(recordFile("two"));
    Files.write(recordFile("one"), b);
    Files.write(recordFile("two"), a);
    assertCode("secret_tampered", () -> s.get("one"));
    assertCode("secret_tampered", () -> s.get("two"));
  }

  @Test
  public void recordRemovedBehindTheStoresBackIsTampered() throws IOException {
    EncryptedFileSecretStore s = open(PASS);
    s.put("a", bytes("1"));
    Files.delete(recordFile("a"));
    assertCode("secret_tampered", () -> s.get("a"));
  }

  @Test
  public void garbageAndTruncatedRecordsAreClearErrors() throws IOException {
    EncryptedFileSecretStore s = open(PASS);
    s.put("trunc", bytes("some value"));
    s.put("junk", bytes("other value"));
    byte[] full = Files.readAllBytes(recordFile("trunc"));
    Files.write(recordFile("trunc"), Arrays.copyOf(full, full.length / 2));
    Files.write(recordFile("junk"), new byte[] {0x00, (byte) 0xff, 0x42});
    assertCode("secret_tampered", () -> s.get("trunc"));
    assertCode("secret_tampered", () -> s.get("junk"));
  }

  @Test
  public void garbageOrTruncatedHeaderFailsActivationAsTampered() throws IOException {
    open(PASS).put("a", bytes("1"));
    Path meta = storeDir().resolve("meta.json");
    byte[] full = Files.readAllBytes(meta);

    Files.write(meta, Arrays.copyOf(full, full.length / 2));
    assertCode("secret_tampered", () -> open(PASS));

    Files.write(meta, "not json at all".getBytes(UTF_8));
    assertCode("secret_tampered", () -> open(PASS));

    Files.write(meta, new byte[0]);
    assertCode("secret_tampered", () -> open(PASS));

    String hostile =
        new String(full, UTF_8).replaceAll("\"memory_kib\":\\d+", "\"memory_kib\":2147483647");
    Files.write(meta, hostile.getBytes(UTF_8));
    assertCode("secret_tampered", () -> open(PASS));
  }

  @Test
  public void recordsWithoutHeaderAreNotSilentlyReplacedByANewStore() throws IOException {
    open(PASS).put("a", bytes("1"));
    Files.delete(storeDir().resolve("meta.json"));
    assertCode("secret_tampered", () -> open(PASS));
    assertFalse(Files.exists(storeDir().resolve("meta.json")));
  }

  @Test
  public void invalidIdsAreRejectedAndChangeNothing() {
    EncryptedFileSecretStore s = open(PASS);
    List<String> bad =
        Arrays.asList(null, "", "a/b", "../x", "with space", "é", "a\u0000b", "x".repeat(129));
    for (String id : bad) {
      assertCode("invalid_secret_id", () -> s.get(id));
      assertCode("invalid_secret_id", () -> s.put(id, bytes("v")));
      assertCode("invalid_secret_id", () -> s.delete(id));
    }
    assertEquals(List.of(), s.ids());
    String longest = "y".repeat(128);
    s.put(longest, bytes("ok"));
    s.put("A-z_0.9:x", bytes("ok"));
    assertEquals(List.of("A-z_0.9:x", longest), s.ids());
  }

  @Test
  public void canaryNeverAppearsOnDisk() throws IOException {
    String canary = "CANARY-7f3a9c1e-do-not-leak";
    EncryptedFileSecretStore s = open(PASS);
    s.put("canary", bytes(canary));
    s.put("canary.2", bytes(canary + canary));
    byte[] raw = canary.getBytes(UTF_8);
    byte[] b64 = Base64.getEncoder().encode(raw);
    byte[] passBytes = PASS.getBytes(UTF_8);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dataDir)) {
      files = walk.filter(Files::isRegularFile).collect(Collectors.toList());
    }
    assertTrue("records and header written", files.size() >= 3);
    for (Path f : files) {
      byte[] content = Files.readAllBytes(f);
      assertFalse(f + " holds the canary", contains(content, raw));
      assertFalse(f + " holds the base64 canary", contains(content, b64));
      assertFalse(f + " holds the passphrase", contains(content, passBytes));
    }
  }

  @Test
  public void sensitiveValuesNeverPrint() {
    String canary = "CANARY-print-check";
    EncryptedFileSecretStore s = open(PASS);
    s.put("c", bytes(canary));
    Optional<Sensitive<byte[]>> v = s.get("c");
    assertEquals("[REDACTED]", v.get().toString());
    assertFalse(String.valueOf(v).contains(canary));
    assertFalse(String.valueOf(v).contains(Arrays.toString(canary.getBytes(UTF_8))));
  }

  @Test
  public void filesAreOwnerOnly() throws IOException {
    EncryptedFileSecretStore s = open(null);
    s.put("a", bytes("1"));
    assertEquals("rwx------", mode(storeDir()));
    assertEquals("rw-------", mode(storeDir().resolve("meta.json")));
    assertEquals("rw-------", mode(recordFile("a")));
    assertEquals("rw-------", mode(dataDir.resolve("master.key")));
  }

  @Test
  public void existingLooseDirectoryIsTightened() throws IOException {
    Files.createDirectories(storeDir());
    Files.setPosixFilePermissions(storeDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
    open(PASS);
    assertEquals("rwx------", mode(storeDir()));
  }

  @Test
  public void concurrentPutsFromEightThreadsAllPersist() throws Exception {
    EncryptedFileSecretStore s = open(PASS);
    int threads = 8;
    int perThread = 10;
    CountDownLatch start = new CountDownLatch(1);
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int tt = t;
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    s.put("t" + tt + ".s" + i, bytes("v" + tt + "-" + i));
                  }
                } catch (Throwable e) {
                  errors.add(e);
                }
              });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    assertEquals(List.of(), errors);
    assertEquals(threads * perThread, s.ids().size());
    s.deactivate();

    EncryptedFileSecretStore again = open(PASS);
    assertEquals(threads * perThread, again.ids().size());
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        assertEquals("v" + t + "-" + i, text(again.get("t" + t + ".s" + i)));
      }
    }
    try (Stream<Path> left = Files.list(storeDir())) {
      assertTrue(
          "no temp files left",
          left.noneMatch(p -> p.getFileName().toString().endsWith(SecureFiles.TEMP_SUFFIX)));
    }
  }

  @Test
  public void staleTempFileFromACrashIsRemoved() throws IOException {
    open(PASS).put("a", bytes("1"));
    Path stale = storeDir().resolve(SecureFiles.TEMP_PREFIX + "123" + SecureFiles.TEMP_SUFFIX);
    Files.write(stale, new byte[] {1, 2, 3});
    EncryptedFileSecretStore s = open(PASS);
    assertFalse(Files.exists(stale));
    assertEquals("1", text(s.get("a")));
  }

  @Test
  public void callsAfterDeactivateFailFast() {
    EncryptedFileSecretStore s = open(PASS);
    s.put("a", bytes("1"));
    s.deactivate();
    assertCode("secret_store_unavailable", () -> s.get("a"));
    assertCode("secret_store_unavailable", () -> s.put("a", bytes("2")));
    assertCode("secret_store_unavailable", () -> s.delete("a"));
    assertCode("secret_store_unavailable", s::ids);
  }

  // --- passphrase sources and profile -----------------------------------------------------------

  @Test
  public void autoGeneratedKeyIsCreatedOnceAndReused() throws IOException {
    EncryptedFileSecretStore s = open(null);
    s.put("a", bytes("1"));
    Path key = dataDir.resolve("master.key");
    String content = Files.readString(key);
    assertTrue(content.matches("[A-Za-z0-9_-]{43}"));
    s.deactivate();
    EncryptedFileSecretStore again = open(null);
    assertEquals("1", text(again.get("a")));
    assertEquals(content, Files.readString(key));
  }

  @Test
  public void storeCopiedWithoutItsAutoKeyDoesNotOpenAndNoNewKeyIsMade() throws IOException {
    open(null).put("a", bytes("1"));
    Path otherData = tmp.newFolder("other").toPath();
    Path copy = otherData.resolve("secrets");
    Files.createDirectories(copy);
    try (Stream<Path> files = Files.list(storeDir())) {
      for (Path f : files.collect(Collectors.toList())) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    assertCode(
        "secret_store_unavailable",
        () -> open(otherData, "reference", new TestConfig(), env(null)));
    assertFalse(Files.exists(otherData.resolve("master.key")));
  }

  @Test
  public void gaProfileRefusesTheAutoGeneratedKey() {
    assertCode("secret_store_unavailable", () -> open(dataDir, "ga", new TestConfig(), env(null)));
    assertFalse(Files.exists(dataDir.resolve("master.key")));
    assertFalse(Files.exists(storeDir().resolve("meta.json")));
  }

  @Test
  public void gaProfileRefusesAnExistingAutoGeneratedKey() {
    open(null).put("a", bytes("1"));
    assertTrue(Files.exists(dataDir.resolve("master.key")));
    assertCode("secret_store_unavailable", () -> open(dataDir, "GA", new TestConfig(), env(null)));
  }

  @Test
  public void gaProfileRefusesKdfCostBelowTheSpecMinimum() {
    assertCode("secret_store_unavailable", () -> open(dataDir, "ga", new TestConfig(), env(PASS)));
  }

  @Test
  public void gaProfileAcceptsTheEnvironmentPassphraseAtSpecCost() {
    TestConfig cfg = new TestConfig();
    cfg.memoryKib = KdfParams.SPEC_MIN_MEMORY_KIB;
    cfg.iterations = KdfParams.SPEC_MIN_ITERATIONS;
    EncryptedFileSecretStore s = open(dataDir, "ga", cfg, env(PASS));
    s.put("a", bytes("1"));
    assertEquals("1", text(s.get("a")));
    assertFalse(Files.exists(dataDir.resolve("master.key")));
  }

  @Test
  public void explicitPassphraseFileWorksAndIgnoresTrailingNewline() throws IOException {
    open(PASS).put("a", bytes("1"));
    Path file = tmp.newFile("pass.txt").toPath();
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(file, PASS + "\n");
    TestConfig cfg = new TestConfig();
    cfg.passphraseFile = file.toString();
    EncryptedFileSecretStore s = open(dataDir, "staging", cfg, env(null));
    assertEquals("1", text(s.get("a")));
  }

  @Test
  public void worldReadablePassphraseFileIsRefused() throws IOException {
    Path file = tmp.newFile("pass.txt").toPath();
    Files.writeString(file, PASS);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    TestConfig cfg = new TestConfig();
    cfg.passphraseFile = file.toString();
    assertCode("secret_store_unavailable", () -> open(dataDir, "reference", cfg, env(null)));
  }

  @Test
  public void missingExplicitPassphraseFileIsRefused() {
    TestConfig cfg = new TestConfig();
    cfg.passphraseFile = dataDir.resolve("nope").toString();
    assertCode("secret_store_unavailable", () -> open(dataDir, "reference", cfg, env(null)));
    assertFalse(Files.exists(dataDir.resolve("nope")));
  }

  @Test
  public void environmentWinsOverPassphraseFile() throws IOException {
    open(PASS).put("a", bytes("1"));
    Path file = tmp.newFile("pass.txt").toPath();
    Files.writeString(file, "something else");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    TestConfig cfg = new TestConfig();
    cfg.passphraseFile = file.toString();
    assertEquals("1", text(open(dataDir, "reference", cfg, env(PASS)).get("a")));
  }

  @Test
  public void emptyEnvironmentPassphraseIsRefused() {
    assertCode("secret_store_unavailable", () -> open(""));
  }

  @Test
  public void missingDataDirWithoutPathIsRefused() {
    assertCode(
        "secret_store_unavailable", () -> open(null, "reference", new TestConfig(), env(PASS)));
  }

  @Test
  public void outOfRangeKdfConfigurationIsRefused() {
    TestConfig cfg = new TestConfig();
    cfg.parallelism = 0;
    assertCode("secret_store_unavailable", () -> open(dataDir, "reference", cfg, env(PASS)));
  }

  @Test
  public void configuredPathIsUsed() {
    TestConfig cfg = new TestConfig();
    Path custom = dataDir.resolve("elsewhere");
    cfg.path = custom.toString();
    open(dataDir, "reference", cfg, env(PASS)).put("a", bytes("1"));
    assertTrue(Files.exists(custom.resolve("meta.json")));
    assertTrue(Files.exists(custom.resolve(StoreCrypto.fileHash("a") + ".json")));
    assertNotNull(open(dataDir, "reference", cfg, env(PASS)).get("a").orElse(null));
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
