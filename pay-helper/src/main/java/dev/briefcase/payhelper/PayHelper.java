package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code briefcase-pay}: the payment helper (SPEC §14.4). Without a subcommand it serves one
 * request (stdin → stdout); {@code init}, {@code import-evm-key} and {@code address} manage its key
 * store. Passphrases come from a file (never argv, never the request's stdin).
 */
@Command(
    name = "briefcase-pay",
    mixinStandardHelpOptions = true,
    description =
        "Serves one payment request: one JSON object on stdin, one on stdout (PAYMENTS §3).",
    subcommands = {
      PayHelper.Init.class,
      PayHelper.ImportEvmKey.class,
      PayHelper.Address.class,
      PayHelper.Pkcs11Keygen.class
    })
public final class PayHelper implements Callable<Integer> {
  /** The environment variable naming the passphrase file. */
  public static final String PASSPHRASE_ENV = "BRIEFCASE_PAY_PASSPHRASE_FILE";

  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--config", description = "the helper's configuration file (JSON)")
  Path config;

  @Option(
      names = "--passphrase-file",
      description = "file holding the key store passphrase (else $" + PASSPHRASE_ENV + ")")
  Path passphraseFile;

  private final InputStream stdin;
  private final PrintStream stdout;
  private final Map<String, String> env;

  PayHelper(InputStream stdin, PrintStream stdout, Map<String, String> env) {
    this.stdin = stdin;
    this.stdout = stdout;
    this.env = env;
  }

  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.exit(run(args, System.in, out, System.err, System.getenv()));
  }

  /** Runs the command line; the exit code. */
  static int run(
      String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
    PayHelper root = new PayHelper(in, out, env);
    CommandLine cl = new CommandLine(root);
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          // a subcommand failure: one line, no stack trace (it could hold a path of a secret)
          err.println("briefcase-pay: " + e.getMessage());
          return 1;
        });
    return cl.execute(args);
  }

  /** Serves one request. */
  @Override
  public Integer call() {
    ObjectNode answer;
    int exit = 0;
    try {
      byte[] request = readCapped(stdin, Server.MAX_REQUEST);
      answer = server().serve(request);
    } catch (HelperException e) {
      answer = error(e.code(), e.getMessage());
      exit = 1;
    } catch (HelperConfig.ConfigException e) {
      answer =
          error(HelperException.REQUEST_INVALID, "bad helper configuration: " + e.getMessage());
      exit = 2;
    } catch (IOException | RuntimeException e) {
      answer =
          error(HelperException.REQUEST_INVALID, "cannot serve: " + e.getClass().getSimpleName());
      exit = 1;
    }
    stdout.println(answer.toString());
    stdout.flush();
    return exit;
  }

  private Server server() throws HelperConfig.ConfigException, IOException {
    HelperConfig cfg = readConfig();
    LightningNode node = null;
    if (cfg.lnd() != null) {
      node =
          new LndRestNode(
              cfg.lnd().url(),
              cfg.lnd().tlsCertFile(),
              cfg.lnd().macaroonFile(),
              Duration.ofSeconds(60));
    } else if (cfg.cln() != null) {
      node = new ClnRpcNode(cfg.cln().socket(), Duration.ofSeconds(cfg.cln().retrySeconds()));
    }
    Server server =
        new Server(
            cfg,
            () -> KeyStoreFile.open(cfg.keyStore(), passphrase()),
            node,
            Invoices.decoder(),
            Clock.systemUTC());
    return cfg.pkcs11() == null ? server : server.signers(EvmSigners.pkcs11(cfg.pkcs11()));
  }

  HelperConfig readConfig() throws HelperConfig.ConfigException {
    Path file = config;
    if (file == null) {
      String fromEnv = env.get("BRIEFCASE_PAY_CONFIG");
      if (fromEnv == null || fromEnv.isBlank()) {
        throw new HelperConfig.ConfigException("no --config (or BRIEFCASE_PAY_CONFIG) given");
      }
      file = Path.of(fromEnv);
    }
    return HelperConfig.read(file);
  }

  /** The passphrase from --passphrase-file or $BRIEFCASE_PAY_PASSPHRASE_FILE, one line. */
  char[] passphrase() throws HelperException {
    Path file = passphraseFile;
    if (file == null) {
      String fromEnv = env.get(PASSPHRASE_ENV);
      if (fromEnv == null || fromEnv.isBlank()) {
        throw new HelperException(
            HelperException.KEY_UNAVAILABLE,
            "no passphrase file (--passphrase-file or " + PASSPHRASE_ENV + ")");
      }
      file = Path.of(fromEnv);
    }
    return PinFile.read(file);
  }

  static byte[] readCapped(InputStream in, int max) throws IOException, HelperException {
    byte[] bytes = in.readNBytes(max + 1);
    if (bytes.length > max) {
      throw Requests.invalid("the request is larger than 1 MiB");
    }
    return bytes;
  }

  private static ObjectNode error(String code, String message) {
    ObjectNode o = JSON.createObjectNode();
    o.put("error", code);
    o.put("message", message == null ? code : message.replaceAll("[\\r\\n]+", " "));
    return o;
  }

  /** {@code init}: creates the encrypted key store named by the configuration. */
  @Command(name = "init", description = "Creates the encrypted key store (with a fresh data key).")
  static final class Init implements Callable<Integer> {
    @CommandLine.ParentCommand PayHelper parent;

    @Override
    public Integer call() throws Exception {
      HelperConfig cfg = parent.readConfig();
      char[] pass = parent.passphrase();
      try {
        KeyStoreFile.create(cfg.keyStore(), pass);
      } finally {
        Arrays.fill(pass, '\0');
      }
      parent.stdout.println("key store created: " + cfg.keyStore());
      return 0;
    }
  }

  /** {@code import-evm-key}: puts a secp256k1 key (hex file) into the key store. */
  @Command(name = "import-evm-key", description = "Imports the EVM signing key from a hex file.")
  static final class ImportEvmKey implements Callable<Integer> {
    @CommandLine.ParentCommand PayHelper parent;

    @Option(names = "--key-file", required = true, description = "file with the 32-byte key in hex")
    Path keyFile;

    @Override
    public Integer call() throws Exception {
      HelperConfig cfg = parent.readConfig();
      char[] pass = parent.passphrase();
      try {
        KeyStoreFile store = KeyStoreFile.open(cfg.keyStore(), pass);
        String hex = Files.readString(keyFile, StandardCharsets.US_ASCII).strip();
        if (hex.startsWith("0x") || hex.startsWith("0X")) {
          hex = hex.substring(2);
        }
        if (!hex.matches("[0-9a-fA-F]{64}")) {
          throw new IllegalArgumentException("the key file must hold 32 bytes of hex");
        }
        KeyStoreFile updated = store.withEvmKey(HexFormat.of().parseHex(hex));
        updated.save(cfg.keyStore(), pass);
        parent.stdout.println(updated.address());
        return 0;
      } finally {
        Arrays.fill(pass, '\0');
      }
    }
  }

  /** {@code pkcs11-keygen}: makes the non-extractable secp256k1 key on the configured token. */
  @Command(
      name = "pkcs11-keygen",
      description = "Generates the EVM key on the evm_pkcs11 token and prints its address.")
  static final class Pkcs11Keygen implements Callable<Integer> {
    @CommandLine.ParentCommand PayHelper parent;

    @Override
    public Integer call() throws Exception {
      HelperConfig cfg = parent.readConfig();
      if (cfg.pkcs11() == null) {
        throw new IllegalStateException("no evm_pkcs11 in the configuration");
      }
      char[] pin = PinFile.read(cfg.pkcs11().pinFile());
      try (Pkcs11EvmKey key = Pkcs11EvmKey.generate(cfg.pkcs11(), pin)) {
        parent.stdout.println(key.address());
        return 0;
      } finally {
        Arrays.fill(pin, '\0');
      }
    }
  }

  /** {@code address}: prints the EVM address of the imported key. */
  @Command(name = "address", description = "Prints the EVM address of the imported key.")
  static final class Address implements Callable<Integer> {
    @CommandLine.ParentCommand PayHelper parent;

    @Override
    public Integer call() throws Exception {
      HelperConfig cfg = parent.readConfig();
      char[] pass = parent.passphrase();
      try {
        String address = KeyStoreFile.open(cfg.keyStore(), pass).address();
        if (address == null) {
          throw new IllegalStateException("no EVM key imported (import-evm-key)");
        }
        parent.stdout.println(address);
        return 0;
      } finally {
        Arrays.fill(pass, '\0');
      }
    }
  }
}
