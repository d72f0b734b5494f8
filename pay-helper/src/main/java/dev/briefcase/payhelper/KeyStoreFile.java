package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.crypto.generators.SCrypt;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;

/**
 * The helper's encrypted key store: a JSON file (0600) holding, under AES-256-GCM with a key
 * derived from the passphrase by scrypt, the journal's data key and the EVM signing key. The KDF
 * parameters and salt are the associated data, so a file whose parameters were lowered is refused
 * like a wrong passphrase ({@code payment_key_unavailable}).
 */
public final class KeyStoreFile {
  /** scrypt cost: N = 2^15, r = 8, p = 1 (≈ 32 MiB, ≈ 0.1 s). */
  static final int N = 1 << 15;

  static final int R = 8;
  static final int P = 1;
  private static final int MIN_N = 1 << 14;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final byte[] dataKey;
  private final byte[] evmKey;

  private KeyStoreFile(byte[] dataKey, byte[] evmKey) {
    this.dataKey = dataKey;
    this.evmKey = evmKey;
  }

  /** Creates a new store with a fresh data key and no EVM key; refuses to overwrite one. */
  public static KeyStoreFile create(Path file, char[] passphrase) throws IOException {
    if (Files.exists(file)) {
      throw new IOException("the key store " + file + " exists already");
    }
    if (passphrase.length == 0) {
      throw new IOException("the passphrase is empty");
    }
    KeyStoreFile store = new KeyStoreFile(Sealed.random(32), null);
    store.save(file, passphrase);
    return store;
  }

  /**
   * Opens {@code file}.
   *
   * @throws HelperException {@code payment_key_unavailable} when it is missing, malformed, tampered
   *     with or the passphrase is wrong (one message for all: no oracle)
   */
  public static KeyStoreFile open(Path file, char[] passphrase) throws HelperException {
    try {
      JsonNode root = JSON.readTree(Files.readAllBytes(file));
      int version = root.path("version").asInt();
      int n = root.path("n").asInt();
      int r = root.path("r").asInt();
      int p = root.path("p").asInt();
      if (version != 1
          || !"scrypt".equals(root.path("kdf").asText())
          || n < MIN_N
          || n > (1 << 20)
          || Integer.bitCount(n) != 1
          || r < 1
          || r > 32
          || p < 1
          || p > 16) {
        throw new GeneralSecurityException("unsupported key store");
      }
      byte[] salt = Base64.getDecoder().decode(root.path("salt").asText());
      byte[] sealed = Base64.getDecoder().decode(root.path("sealed").asText());
      byte[] key = derive(passphrase, salt, n, r, p);
      byte[] plain;
      try {
        plain = Sealed.open(key, sealed, header(n, r, p, salt));
      } finally {
        Arrays.fill(key, (byte) 0);
      }
      JsonNode secrets = JSON.readTree(plain);
      Arrays.fill(plain, (byte) 0);
      byte[] dataKey = Base64.getDecoder().decode(secrets.path("data_key").asText());
      if (dataKey.length != 32) {
        throw new GeneralSecurityException("bad data key");
      }
      JsonNode evm = secrets.get("evm_key");
      byte[] evmKey = evm == null || evm.isNull() ? null : HexFormat.of().parseHex(evm.asText());
      return new KeyStoreFile(dataKey, evmKey);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new HelperException(
          HelperException.KEY_UNAVAILABLE,
          "the key store cannot be opened (missing, damaged or wrong passphrase)");
    }
  }

  /** Writes the store encrypted under {@code passphrase}, with a fresh salt and nonce. */
  public void save(Path file, char[] passphrase) throws IOException {
    byte[] salt = Sealed.random(16);
    byte[] key = derive(passphrase, salt, N, R, P);
    ObjectNode secrets = JSON.createObjectNode();
    secrets.put("data_key", Base64.getEncoder().encodeToString(dataKey));
    if (evmKey != null) {
      secrets.put("evm_key", HexFormat.of().formatHex(evmKey));
    }
    byte[] plain = JSON.writeValueAsBytes(secrets);
    byte[] sealed;
    try {
      sealed = Sealed.seal(key, plain, header(N, R, P, salt));
    } finally {
      Arrays.fill(key, (byte) 0);
      Arrays.fill(plain, (byte) 0);
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1).put("kdf", "scrypt").put("n", N).put("r", R).put("p", P);
    root.put("salt", Base64.getEncoder().encodeToString(salt));
    root.put("sealed", Base64.getEncoder().encodeToString(sealed));
    Path parent = file.toAbsolutePath().getParent();
    PrivateFiles.createPrivateDirectory(parent);
    PrivateFiles.writeDurably(file, JSON.writeValueAsBytes(root));
  }

  /** A copy of this store with {@code privateKey} (32 bytes, secp256k1) as the EVM key. */
  public KeyStoreFile withEvmKey(byte[] privateKey) {
    BigInteger d = new BigInteger(1, privateKey);
    if (privateKey.length != 32
        || d.signum() == 0
        || d.compareTo(org.web3j.crypto.Sign.CURVE_PARAMS.getN()) >= 0) {
      throw new IllegalArgumentException("not a secp256k1 private key");
    }
    return new KeyStoreFile(dataKey.clone(), privateKey.clone());
  }

  /** The key that seals journal entries. */
  byte[] dataKey() {
    return dataKey.clone();
  }

  /** The EVM key pair, or null when none was imported. */
  ECKeyPair evmKey() {
    return evmKey == null ? null : ECKeyPair.create(new BigInteger(1, evmKey));
  }

  /** The checksummed EVM address, or null when no key was imported. */
  public String address() {
    ECKeyPair k = evmKey();
    return k == null ? null : Keys.toChecksumAddress(Keys.getAddress(k));
  }

  private static byte[] derive(char[] passphrase, byte[] salt, int n, int r, int p) {
    byte[] pass = new String(passphrase).getBytes(StandardCharsets.UTF_8);
    try {
      return SCrypt.generate(pass, salt, n, r, p, 32);
    } finally {
      Arrays.fill(pass, (byte) 0);
    }
  }

  private static byte[] header(int n, int r, int p, byte[] salt) {
    return ("briefcase-pay-keystore/1/scrypt/" + n + "/" + r + "/" + p + "/")
        .concat(Base64.getEncoder().encodeToString(salt))
        .getBytes(StandardCharsets.UTF_8);
  }
}
