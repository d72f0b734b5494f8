package dev.briefcase.secrets.file.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code file} secret store: one AES-256-GCM record per secret under a key derived with
 * Argon2id from the master passphrase (SPEC §12). Registered with {@code secrets.backend=file}.
 *
 * <p>The key is derived once at activation. A wrong passphrase, a malformed header or a refused
 * passphrase source fails activation with an ERROR log line, so the service never appears and
 * callers see "secret store unavailable" rather than a store that answers every call with an error.
 * Thread-safe: writes are serialized, reads run in parallel. After deactivation every call fails
 * with {@code secret_store_unavailable}.
 */
@Component(
    service = SecretStore.class,
    // enabled by FileBackendGate only when the file backend is the selected one (SPEC §12)
    enabled = false,
    configurationPid = EncryptedFileSecretStore.PID,
    property = SecretStore.BACKEND + "=file")
@Designate(ocd = EncryptedFileSecretStore.Config.class)
public final class EncryptedFileSecretStore implements SecretStore {

  static final String PID = "dev.briefcase.secrets.file";
  static final String DATA_DIR_PROPERTY = "briefcase.data.dir";
  static final String PROFILE_PROPERTY = ProfileMode.PROPERTY;
  static final String META_FILE = "meta.json";
  static final int FORMAT_VERSION = 1;
  static final String FORMAT_NAME = "briefcase.secrets.file";

  private static final Logger LOG = LoggerFactory.getLogger(EncryptedFileSecretStore.class);
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern RECORD_FILE = Pattern.compile("[0-9a-f]{64}\\.json");
  private static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  /** Configuration of the file secret store. No secrets here: the passphrase is never config. */
  @ObjectClassDefinition(
      name = "Briefcase file secret store",
      description = "Encrypted secret records (Argon2id + AES-256-GCM) in the data directory.")
  public @interface Config {
    @AttributeDefinition(
        name = "Store directory",
        description =
            "Directory of the encrypted records; empty means <briefcase.data.dir>/secrets.")
    String path() default "";

    @AttributeDefinition(
        name = "Passphrase file",
        description =
            "File holding the master passphrase, used when BRIEFCASE_MASTER_PASSPHRASE is unset."
                + " Must be mode 0600. Empty means an auto-generated <briefcase.data.dir>/master.key"
                + " (refused in the ga profile).")
    String passphrase_file() default "";

    @AttributeDefinition(
        name = "Argon2id memory (KiB)",
        description =
            "Memory cost for a new store; an existing store keeps the cost in its header.")
    int argon2_memory_kib() default 65536;

    @AttributeDefinition(
        name = "Argon2id iterations",
        description = "Time cost for a new store; an existing store keeps the cost in its header.")
    int argon2_iterations() default 3;

    @AttributeDefinition(
        name = "Argon2id parallelism",
        description = "Lanes for a new store; an existing store keeps the value in its header.")
    int argon2_parallelism() default 1;
  }

  private final Path dir;
  private final byte[] encKey;
  private final TreeSet<String> index = new TreeSet<>();
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final SecureRandom random = new SecureRandom();
  private final ObjectMapper json = new ObjectMapper();
  private boolean closed;

  /**
   * DS entry point: reads the data directory and profile from framework properties. The master
   * passphrase is the one value a bundle takes from the environment (README: it must never become a
   * framework property), and no other variable is visible here.
   */
  @Activate
  public EncryptedFileSecretStore(BundleContext context, Config config) {
    this(
        pathOrNull(context.getProperty(DATA_DIR_PROPERTY)),
        context.getProperty(PROFILE_PROPERTY),
        config,
        EncryptedFileSecretStore::passphraseVariable);
  }

  /** The environment as the store sees it: {@code BRIEFCASE_MASTER_PASSPHRASE} and nothing else. */
  static String passphraseVariable(String name) {
    return PassphraseSource.ENV_VAR.equals(name) ? System.getenv(name) : null;
  }

  /** Test and wiring entry point with an explicit environment. */
  EncryptedFileSecretStore(
      Path dataDir, String profileMode, Config config, Function<String, String> env) {
    json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    boolean strict = ProfileMode.isStrict(profileMode);
    Path resolved = null;
    try {
      resolved = resolveDirectory(config, dataDir);
      this.dir = resolved;
      this.encKey = open(config, dataDir, strict, env);
      int corrupt = loadIndex();
      LOG.info(
          "File secret store open at {} with {} record(s){}",
          dir,
          index.size(),
          corrupt > 0 ? ", " + corrupt + " failing authentication" : "");
    } catch (SecretStoreException e) {
      // One line, secret-free: the service will not be registered and the kernel reports it.
      LOG.error(
          "File secret store at {} unavailable: {}: {}",
          resolved == null ? "(unresolved)" : resolved,
          e.code(),
          e.getMessage());
      throw e;
    }
  }

  @Override
  public Optional<Sensitive<byte[]>> get(String id) {
    checkId(id);
    lock.readLock().lock();
    try {
      ensureOpen();
      byte[] raw;
      try {
        raw = readBounded(recordFile(id));
      } catch (NoSuchFileException e) {
        if (index.contains(id)) {
          throw tampered("secret record '" + id + "' disappeared from disk");
        }
        return Optional.empty();
      } catch (IOException e) {
        throw new SecretStoreException(
            SecretStoreException.SECRET_STORE_UNAVAILABLE,
            "cannot read secret record '" + id + "'",
            e);
      }
      return Optional.of(Sensitive.of(decryptRecord(raw, id)));
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void put(String id, Sensitive<byte[]> value) {
    checkId(id);
    Objects.requireNonNull(value, "value");
    byte[] plaintext = value.reveal();
    lock.writeLock().lock();
    try {
      ensureOpen();
      byte[] nonce = new byte[StoreCrypto.NONCE_BYTES];
      random.nextBytes(nonce);
      byte[] ciphertext = StoreCrypto.seal(encKey, nonce, StoreCrypto.recordAad(id), plaintext);
      ObjectNode node = json.createObjectNode();
      node.put("v", FORMAT_VERSION);
      node.put("id", id);
      node.put("nonce_b64", Base64.getEncoder().encodeToString(nonce));
      node.put("ciphertext_b64", Base64.getEncoder().encodeToString(ciphertext));
      SecureFiles.writeAtomically(recordFile(id), toBytes(node));
      index.add(id);
      LOG.debug("Stored secret record '{}'", id);
    } catch (IOException e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE,
          "cannot write secret record '" + id + "'",
          e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public boolean delete(String id) {
    checkId(id);
    lock.writeLock().lock();
    try {
      ensureOpen();
      boolean deleted = SecureFiles.deleteDurably(recordFile(id));
      index.remove(id);
      LOG.debug("Deleted secret record '{}': {}", id, deleted);
      return deleted;
    } catch (IOException e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE,
          "cannot delete secret record '" + id + "'",
          e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public List<String> ids() {
    lock.readLock().lock();
    try {
      ensureOpen();
      return List.copyOf(index);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Wipes the key; calls after this fail with {@code secret_store_unavailable}. */
  @Deactivate
  void deactivate() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      Arrays.fill(encKey, (byte) 0);
      index.clear();
    } finally {
      lock.writeLock().unlock();
    }
    LOG.info("File secret store at {} closed", dir);
  }

  // --- activation -------------------------------------------------------------------------------

  private static Path resolveDirectory(Config config, Path dataDir) {
    String configured = config.path();
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured.trim()).toAbsolutePath();
    }
    if (dataDir == null) {
      // Writing secrets to a guessed location would be worse than not starting.
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE,
          DATA_DIR_PROPERTY + " is not set and no path is configured");
    }
    return dataDir.resolve("secrets").toAbsolutePath();
  }

  /** Opens or creates the header and returns the record key; the passphrase is wiped here. */
  private byte[] open(Config config, Path dataDir, boolean strict, Function<String, String> env) {
    KdfParams configured =
        new KdfParams(
            config.argon2_memory_kib(), config.argon2_iterations(), config.argon2_parallelism());
    if (!configured.inBounds()) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE,
          "Argon2id configuration out of range: " + configured);
    }
    try {
      SecureFiles.ensurePrivateDirectory(dir);
      removeStaleTempFiles();
    } catch (IOException e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, "cannot prepare store directory", e);
    }
    Path meta = dir.resolve(META_FILE);
    boolean exists = Files.exists(meta);
    PassphraseSource.Passphrase pass =
        PassphraseSource.resolve(env, config.passphrase_file(), dataDir, strict, exists);
    StoreCrypto.Keys keys = null;
    try {
      if (exists) {
        Header header = readHeader(meta);
        if (strict && !header.params().meetsSpecFloor()) {
          throw new SecretStoreException(
              SecretStoreException.SECRET_STORE_UNAVAILABLE,
              "store KDF cost " + header.params() + " is below the SPEC minimum in the ga profile");
        }
        keys = StoreCrypto.deriveKeys(pass.value().reveal(), header.salt(), header.params());
        byte[] expected = StoreCrypto.checkValue(keys.check(), header.params(), header.salt());
        if (!StoreCrypto.checkMatches(expected, header.check())) {
          throw new SecretStoreException(
              SecretStoreException.WRONG_PASSPHRASE,
              "the master passphrase from " + pass.source() + " is wrong");
        }
        LOG.info("Unlocked secret store with {} from {}", header.params(), pass.source());
      } else {
        if (!listRecordFiles().isEmpty()) {
          // A fresh salt would silently orphan every record: treat the missing header as tampering.
          throw tampered("secret records present but " + META_FILE + " is missing");
        }
        if (!configured.meetsSpecFloor()) {
          if (strict) {
            throw new SecretStoreException(
                SecretStoreException.SECRET_STORE_UNAVAILABLE,
                "Argon2id cost " + configured + " is below the SPEC minimum in the ga profile");
          }
          LOG.warn("Creating secret store with {} below the SPEC minimum cost", configured);
        }
        byte[] salt = new byte[StoreCrypto.SALT_BYTES];
        random.nextBytes(salt);
        keys = StoreCrypto.deriveKeys(pass.value().reveal(), salt, configured);
        writeHeader(
            meta,
            new Header(configured, salt, StoreCrypto.checkValue(keys.check(), configured, salt)));
        LOG.info("Created secret store with {} keyed from {}", configured, pass.source());
      }
      byte[] enc = keys.enc().clone();
      return enc;
    } finally {
      pass.value().wipe();
      if (keys != null) {
        keys.wipe();
      }
    }
  }

  private void removeStaleTempFiles() throws IOException {
    try (DirectoryStream<Path> s =
        Files.newDirectoryStream(dir, SecureFiles.TEMP_PREFIX + "*" + SecureFiles.TEMP_SUFFIX)) {
      for (Path p : s) {
        // Left by a crash between create and rename; the rename never happened, so it is garbage.
        Files.deleteIfExists(p);
      }
    }
  }

  private List<Path> listRecordFiles() {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.json")) {
      for (Path p : s) {
        if (!p.getFileName().toString().equals(META_FILE)) {
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, "cannot list store directory", e);
    }
    return out;
  }

  /** Rebuilds the id index from disk, authenticating each record; returns how many failed. */
  private int loadIndex() {
    int corrupt = 0;
    for (Path file : listRecordFiles()) {
      String name = file.getFileName().toString();
      String id = null;
      try {
        if (!RECORD_FILE.matcher(name).matches()) {
          throw tampered("unexpected file name");
        }
        byte[] raw = readBounded(file);
        id = json.readTree(raw).path("id").asText(null);
        if (id == null || !ID.matcher(id).matches()) {
          throw tampered("record has no valid id");
        }
        if (!name.equals(StoreCrypto.fileHash(id) + ".json")) {
          throw tampered("record stored under another id's file name");
        }
        Arrays.fill(decryptRecord(raw, id), (byte) 0);
        index.add(id);
      } catch (SecretStoreException | IOException e) {
        corrupt++;
        if (id != null
            && ID.matcher(id).matches()
            && name.equals(StoreCrypto.fileHash(id) + ".json")) {
          // Listed so the caller learns of it: get() on this id reports secret_tampered.
          index.add(id);
        }
        LOG.warn("Secret record file {} failed authentication: {}", name, e.getMessage());
      }
    }
    return corrupt;
  }

  // --- format -----------------------------------------------------------------------------------

  private record Header(KdfParams params, byte[] salt, byte[] check) {}

  private Header readHeader(Path meta) {
    try {
      JsonNode n = json.readTree(readBounded(meta));
      if (n == null
          || !n.isObject()
          || !FORMAT_NAME.equals(n.path("format").asText(null))
          || intField(n, "v") != FORMAT_VERSION) {
        throw tampered(META_FILE + " is not a version " + FORMAT_VERSION + " store header");
      }
      JsonNode kdf = n.path("kdf");
      if (!"argon2id".equals(kdf.path("alg").asText(null)) || intField(kdf, "version") != 0x13) {
        throw tampered(META_FILE + " names an unsupported KDF");
      }
      KdfParams params =
          new KdfParams(
              intField(kdf, "memory_kib"),
              intField(kdf, "iterations"),
              intField(kdf, "parallelism"));
      if (!params.inBounds()) {
        throw tampered(META_FILE + " has out-of-range KDF parameters");
      }
      byte[] salt = b64Field(n, "salt_b64");
      byte[] check = b64Field(n, "check_b64");
      if (salt.length != StoreCrypto.SALT_BYTES || check.length != 32) {
        throw tampered(META_FILE + " has a salt or check value of the wrong length");
      }
      return new Header(params, salt, check);
    } catch (IOException e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_TAMPERED, META_FILE + " is unreadable or not valid JSON", e);
    }
  }

  private void writeHeader(Path meta, Header h) {
    ObjectNode n = json.createObjectNode();
    n.put("format", FORMAT_NAME);
    n.put("v", FORMAT_VERSION);
    ObjectNode kdf = n.putObject("kdf");
    kdf.put("alg", "argon2id");
    kdf.put("version", 0x13);
    kdf.put("memory_kib", h.params().memoryKib());
    kdf.put("iterations", h.params().iterations());
    kdf.put("parallelism", h.params().parallelism());
    n.put("salt_b64", Base64.getEncoder().encodeToString(h.salt()));
    n.put("check_b64", Base64.getEncoder().encodeToString(h.check()));
    try {
      SecureFiles.writeAtomically(meta, toBytes(n));
    } catch (IOException e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, "cannot write " + META_FILE, e);
    }
  }

  /** Parses and authenticates a record; never returns for a record that does not verify. */
  private byte[] decryptRecord(byte[] raw, String id) {
    byte[] nonce;
    byte[] ciphertext;
    try {
      JsonNode n = json.readTree(raw);
      if (n == null || !n.isObject() || intField(n, "v") != FORMAT_VERSION) {
        throw tampered("secret record '" + id + "' is malformed");
      }
      if (!id.equals(n.path("id").asText(null))) {
        throw tampered("secret record file for '" + id + "' names another id");
      }
      nonce = b64Field(n, "nonce_b64");
      ciphertext = b64Field(n, "ciphertext_b64");
    } catch (IOException e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_TAMPERED, "secret record '" + id + "' is not valid JSON", e);
    }
    if (nonce.length != StoreCrypto.NONCE_BYTES || ciphertext.length < StoreCrypto.TAG_BITS / 8) {
      throw tampered("secret record '" + id + "' has a malformed nonce or ciphertext");
    }
    try {
      return StoreCrypto.open(encKey, nonce, StoreCrypto.recordAad(id), ciphertext);
    } catch (AEADBadTagException e) {
      throw tampered("secret record '" + id + "' failed authentication");
    }
  }

  private static int intField(JsonNode n, String name) {
    JsonNode v = n.get(name);
    if (v == null || !v.isInt()) {
      throw tampered("field '" + name + "' is missing or not an integer");
    }
    return v.intValue();
  }

  private static byte[] b64Field(JsonNode n, String name) {
    JsonNode v = n.get(name);
    if (v == null || !v.isTextual()) {
      throw tampered("field '" + name + "' is missing");
    }
    try {
      return Base64.getDecoder().decode(v.textValue());
    } catch (IllegalArgumentException e) {
      throw tampered("field '" + name + "' is not base64");
    }
  }

  private byte[] toBytes(ObjectNode node) throws IOException {
    byte[] body = json.writeValueAsBytes(node);
    byte[] out = Arrays.copyOf(body, body.length + 1);
    out[body.length] = '\n';
    return out;
  }

  private static byte[] readBounded(Path file) throws IOException {
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw tampered(file.getFileName() + " is larger than any record this store writes");
    }
    return Files.readAllBytes(file);
  }

  // --- helpers ----------------------------------------------------------------------------------

  private Path recordFile(String id) {
    return dir.resolve(StoreCrypto.fileHash(id) + ".json");
  }

  private void ensureOpen() {
    if (closed) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, "the file secret store is closed");
    }
  }

  private static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new SecretStoreException(
          SecretStoreException.INVALID_SECRET_ID, "secret ids match [A-Za-z0-9._:-]{1,128}");
    }
  }

  private static SecretStoreException tampered(String message) {
    return new SecretStoreException(SecretStoreException.SECRET_TAMPERED, message);
  }

  private static Path pathOrNull(String value) {
    return value == null || value.isBlank() ? null : Path.of(value.trim());
  }
}
