package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/** A helper installation in a temporary directory: config, passphrase file, key store. */
final class Helpers {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A canary EVM key: it must never appear outside the key store's ciphertext. */
  static final String CANARY_KEY =
      "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee01";

  static final String NETWORK = "eip155:84532";
  static final String ASSET = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
  static final String PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";

  final Path dir;
  final Path config;
  final Path passphrase;

  Helpers(Path dir, ObjectNode extraConfig) throws IOException {
    this.dir = dir;
    this.config = dir.resolve("pay.json");
    this.passphrase = dir.resolve("pass.txt");
    Files.writeString(passphrase, "correct horse battery staple\n");
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("key_store", "wallet.json");
    cfg.put("journal", "journal");
    ObjectNode limits = cfg.putObject("limits");
    limits.putArray("networks").add(NETWORK);
    ObjectNode asset = limits.putArray("assets").addObject();
    asset.put("network", NETWORK).put("address", ASSET).put("max_atomic", "5000");
    limits.put("max_amount_msat", 100_000);
    limits.putArray("l402_networks").add("bcrt");
    if (extraConfig != null) {
      cfg.setAll(extraConfig);
    }
    Files.write(config, JSON.writeValueAsBytes(cfg));
  }

  /** Runs {@code init} and imports the canary key. */
  Helpers withKeys() throws IOException {
    Result init = run(null, "init");
    if (init.exit != 0) {
      throw new IOException("init failed: " + init.stderr);
    }
    Path keyFile = dir.resolve("key.hex");
    Files.writeString(keyFile, CANARY_KEY + "\n");
    Result imported = run(null, "import-evm-key", "--key-file", keyFile.toString());
    Files.delete(keyFile);
    if (imported.exit != 0) {
      throw new IOException("import failed: " + imported.stderr);
    }
    return this;
  }

  record Result(int exit, String stdout, String stderr) {
    JsonNode json() throws IOException {
      return JSON.readTree(stdout);
    }
  }

  Result run(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] full = new String[args.length + 2];
    full[0] = "--config";
    full[1] = config.toString();
    System.arraycopy(args, 0, full, 2, args.length);
    int exit =
        PayHelper.run(
            full,
            new ByteArrayInputStream(stdin == null ? new byte[0] : stdin),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of(PayHelper.PASSPHRASE_ENV, passphrase.toString()));
    return new Result(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  Result serve(ObjectNode request) throws IOException {
    return run(JSON.writeValueAsBytes(request));
  }

  static ObjectNode offer(String network, String asset, String amount) {
    ObjectNode o = JSON.createObjectNode();
    o.put("scheme", "exact").put("network", network).put("amount", amount);
    o.put("asset", asset).put("payTo", PAY_TO).put("maxTimeoutSeconds", 60);
    o.putObject("extra").put("name", "USDC").put("version", "2");
    return o;
  }

  static String paymentRequired(ObjectNode... offers) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("x402Version", 2);
    root.putObject("resource").put("url", "http://127.0.0.1:9099/tool");
    var accepts = root.putArray("accepts");
    for (ObjectNode o : offers) {
      accepts.add(o);
    }
    return Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(root));
  }

  static ObjectNode x402Request(ObjectNode offer, String maxAmount, String key) throws IOException {
    ObjectNode r = JSON.createObjectNode();
    r.put("rail", "x402_v2");
    r.put("provider_base_url", "http://127.0.0.1:9099");
    r.put("payment_required", paymentRequired(offer));
    r.set("accepted", offer.deepCopy());
    r.put("max_amount", maxAmount);
    r.put("idempotency_key", key);
    return r;
  }

  /** Every file under the helper's directory, as text, for canary checks. */
  String allFiles() throws IOException {
    StringBuilder sb = new StringBuilder();
    try (var files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(p)) {
          sb.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)).append('\n');
        }
      }
    }
    return sb.toString();
  }
}
