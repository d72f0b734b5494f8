package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The helper's own configuration file (JSON): its limits, its Lightning node and where it keeps its
 * key store and journal. The limits are the helper's, not the kernel's: a request is refused when
 * it exceeds either.
 *
 * @param keyStore the encrypted key store file
 * @param journalDir the idempotency journal directory
 * @param limits what the helper pays at most, and where
 * @param lnd the LND REST node, or null
 * @param cln the CLN JSON-RPC node, or null
 * @param pkcs11 the token holding the EVM key, or null for the key store's own key
 */
public record HelperConfig(
    Path keyStore, Path journalDir, Limits limits, Lnd lnd, Cln cln, Pkcs11 pkcs11) {

  /** Thrown for an unreadable or malformed configuration, with a message naming the setting. */
  public static final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message);
    }
  }

  /**
   * @param networks allowed x402 networks ({@code eip155:<chain id>})
   * @param assets allowed x402 assets, each with its own maximum in atomic units
   * @param maxAmountMsat the largest L402 payment, in millisatoshi
   * @param l402Networks allowed BOLT11 networks ({@code bc}, {@code tb}, {@code bcrt}, {@code tbs})
   * @param maxMsatPerDay the most paid over L402 per UTC day, in millisatoshi, or null for no daily
   *     cap
   */
  public record Limits(
      Set<String> networks,
      List<Asset> assets,
      long maxAmountMsat,
      Set<String> l402Networks,
      Long maxMsatPerDay) {
    public Limits {
      networks = Set.copyOf(networks);
      assets = List.copyOf(assets);
      l402Networks = Set.copyOf(l402Networks);
    }

    /** The asset rule for {@code network}/{@code address} (address in any case), or null. */
    public Asset asset(String network, String address) {
      for (Asset a : assets) {
        if (a.network().equals(network) && a.address().equalsIgnoreCase(address)) {
          return a;
        }
      }
      return null;
    }
  }

  /**
   * An allowed x402 asset and the most the helper signs for it, in atomic units: per payment, and
   * in total per UTC day ({@code maxAtomicPerDay}, null for no daily cap).
   */
  public record Asset(
      String network, String address, BigInteger maxAtomic, BigInteger maxAtomicPerDay) {}

  /** LND REST: base URL, the pinned TLS certificate and the macaroon file. */
  public record Lnd(String url, Path tlsCertFile, Path macaroonFile) {}

  /** A PKCS#11 token holding the EVM key: module library, token label, key label, PIN file. */
  public record Pkcs11(String module, String tokenLabel, String keyLabel, Path pinFile) {}

  /** CLN JSON-RPC: the unix socket, and how long transient {@code pay} failures are retried. */
  public record Cln(Path socket, long retrySeconds) {}

  private static final Set<String> TOP =
      Set.of("key_store", "journal", "limits", "lnd", "cln", "evm_pkcs11");
  private static final Set<String> LIMITS =
      Set.of("networks", "assets", "max_amount_msat", "l402_networks", "max_msat_per_day");
  private static final Set<String> BOLT11_NETWORKS = Set.of("bc", "tb", "bcrt", "tbs");

  /** Reads and checks {@code file}; relative paths in it are resolved against its directory. */
  public static HelperConfig read(Path file) throws ConfigException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read the configuration " + file + ": " + e.getClass().getSimpleName());
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException("configuration " + file + ": not a JSON object");
    }
    Path base = file.toAbsolutePath().getParent();
    ObjectNode o = (ObjectNode) root;
    onlyKnown(o, TOP, "");
    Path keyStore = path(base, text(o, "key_store", "key_store", true));
    Path journal = path(base, text(o, "journal", "journal", true));
    ObjectNode l = object(o, "limits", "limits", true);
    onlyKnown(l, LIMITS, "limits.");
    Set<String> networks = Set.copyOf(strings(l, "networks", "limits.networks"));
    List<Asset> assets = new ArrayList<>();
    JsonNode assetList = l.get("assets");
    if (assetList != null && !assetList.isArray()) {
      throw new ConfigException("limits.assets must be an array");
    }
    if (assetList != null) {
      int i = 0;
      for (JsonNode a : assetList) {
        String w = "limits.assets[" + i++ + "]";
        if (!a.isObject()) {
          throw new ConfigException(w + " must be an object");
        }
        onlyKnown(
            (ObjectNode) a,
            Set.of("network", "address", "max_atomic", "max_atomic_per_day"),
            w + ".");
        String network = text(a, "network", w + ".network", true);
        String address = text(a, "address", w + ".address", true);
        if (!address.matches("0x[0-9a-fA-F]{40}")) {
          throw new ConfigException(w + ".address must be a 0x address of 20 bytes");
        }
        if (!networks.contains(network)) {
          throw new ConfigException(w + ".network " + network + " is not in limits.networks");
        }
        BigInteger perDay =
            a.has("max_atomic_per_day")
                ? atomic(a.get("max_atomic_per_day"), w + ".max_atomic_per_day")
                : null;
        assets.add(
            new Asset(network, address, atomic(a.get("max_atomic"), w + ".max_atomic"), perDay));
      }
    }
    long maxMsat = 0;
    JsonNode msat = l.get("max_amount_msat");
    if (msat != null) {
      if (!msat.isIntegralNumber() || !msat.canConvertToLong() || msat.asLong() < 0) {
        throw new ConfigException("limits.max_amount_msat must be a non-negative integer");
      }
      maxMsat = msat.asLong();
    }
    Long msatPerDay = null;
    JsonNode perDay = l.get("max_msat_per_day");
    if (perDay != null) {
      if (!perDay.isIntegralNumber() || !perDay.canConvertToLong() || perDay.asLong() < 0) {
        throw new ConfigException("limits.max_msat_per_day must be a non-negative integer");
      }
      msatPerDay = perDay.asLong();
    }
    List<String> l402 = strings(l, "l402_networks", "limits.l402_networks");
    for (String n : l402) {
      if (!BOLT11_NETWORKS.contains(n)) {
        throw new ConfigException(
            "limits.l402_networks: unknown network " + n + " (expected bc, tb, bcrt or tbs)");
      }
    }
    Lnd lnd = null;
    ObjectNode ln = object(o, "lnd", "lnd", false);
    if (ln != null) {
      onlyKnown(ln, Set.of("url", "tls_cert_file", "macaroon_file"), "lnd.");
      String url = text(ln, "url", "lnd.url", true);
      if (!url.toLowerCase(Locale.ROOT).startsWith("https://")) {
        throw new ConfigException("lnd.url must be https://");
      }
      lnd =
          new Lnd(
              url.replaceAll("/+$", ""),
              path(base, text(ln, "tls_cert_file", "lnd.tls_cert_file", true)),
              path(base, text(ln, "macaroon_file", "lnd.macaroon_file", true)));
    }
    Cln cln = null;
    ObjectNode cn = object(o, "cln", "cln", false);
    if (cn != null) {
      onlyKnown(cn, Set.of("socket", "retry_seconds"), "cln.");
      long retry = 60;
      JsonNode r = cn.get("retry_seconds");
      if (r != null) {
        if (!r.isIntegralNumber() || r.asLong() < 0 || r.asLong() > 3600) {
          throw new ConfigException("cln.retry_seconds must be an integer 0..3600");
        }
        retry = r.asLong();
      }
      cln = new Cln(path(base, text(cn, "socket", "cln.socket", true)), retry);
    }
    if (lnd != null && cln != null) {
      throw new ConfigException("configure one Lightning node: lnd or cln, not both");
    }
    Pkcs11 pkcs11 = null;
    ObjectNode pk = object(o, "evm_pkcs11", "evm_pkcs11", false);
    if (pk != null) {
      onlyKnown(pk, Set.of("module", "token_label", "key_label", "pin_file"), "evm_pkcs11.");
      pkcs11 =
          new Pkcs11(
              text(pk, "module", "evm_pkcs11.module", true),
              text(pk, "token_label", "evm_pkcs11.token_label", true),
              text(pk, "key_label", "evm_pkcs11.key_label", true),
              path(base, text(pk, "pin_file", "evm_pkcs11.pin_file", true)));
    }
    return new HelperConfig(
        keyStore,
        journal,
        new Limits(networks, assets, maxMsat, Set.copyOf(l402), msatPerDay),
        lnd,
        cln,
        pkcs11);
  }

  private static void onlyKnown(ObjectNode o, Set<String> known, String prefix)
      throws ConfigException {
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw new ConfigException("unknown setting " + prefix + name);
      }
    }
  }

  private static String text(JsonNode o, String name, String where, boolean required)
      throws ConfigException {
    JsonNode v = o.get(name);
    if (v == null || v.isNull()) {
      if (required) {
        throw new ConfigException(where + " is required");
      }
      return null;
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new ConfigException(where + " must be a non-empty string");
    }
    return v.asText();
  }

  private static ObjectNode object(ObjectNode o, String name, String where, boolean required)
      throws ConfigException {
    JsonNode v = o.get(name);
    if (v == null || v.isNull()) {
      if (required) {
        throw new ConfigException(where + " is required");
      }
      return null;
    }
    if (!v.isObject()) {
      throw new ConfigException(where + " must be an object");
    }
    return (ObjectNode) v;
  }

  private static List<String> strings(ObjectNode o, String name, String where)
      throws ConfigException {
    JsonNode v = o.get(name);
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isArray()) {
      throw new ConfigException(where + " must be an array of strings");
    }
    for (JsonNode item : v) {
      if (!item.isTextual() || item.asText().isBlank()) {
        throw new ConfigException(where + " must be an array of strings");
      }
      out.add(item.asText());
    }
    return out;
  }

  private static BigInteger atomic(JsonNode v, String where) throws ConfigException {
    if (v == null || !(v.isTextual() || v.isIntegralNumber())) {
      throw new ConfigException(where + " must be a decimal string of atomic units");
    }
    String s = v.asText();
    if (!s.matches("0|[1-9][0-9]{0,77}")) {
      throw new ConfigException(where + " must be a decimal string of atomic units");
    }
    return new BigInteger(s);
  }

  private static Path path(Path base, String value) {
    Path p = Path.of(value);
    return p.isAbsolute() ? p : base.resolve(p).normalize();
  }
}
