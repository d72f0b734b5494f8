package dev.briefcase.x402;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;

/**
 * One entry of {@code accepts}: what the server takes and where it goes. {@link #node()} is the
 * entry exactly as received, which a client copies verbatim into {@code accepted}.
 *
 * @param assetTransferMethod {@code extra.assetTransferMethod}, null when absent (EIP-3009)
 * @param extraName {@code extra.name} (the token's EIP-712 domain name), null when absent
 * @param extraVersion {@code extra.version} (the token's EIP-712 domain version), null when absent
 */
public record Offer(
    String scheme,
    String network,
    BigInteger amount,
    String asset,
    String payTo,
    long maxTimeoutSeconds,
    String extraName,
    String extraVersion,
    String assetTransferMethod,
    ObjectNode node) {

  /**
   * The longest authorisation window a client signs: a server asking for more would get a signature
   * that stays spendable long after the call.
   */
  public static final long MAX_TIMEOUT_SECONDS = 3600;

  public Offer {
    node = node.deepCopy();
  }

  /** A copy of the offer as received. */
  @Override
  public ObjectNode node() {
    return node.deepCopy();
  }

  /** Whether the offer is on an EVM chain ({@code eip155:<chain id>}). */
  public boolean evm() {
    return network.startsWith("eip155:");
  }

  /** The EIP-155 chain id of an {@code eip155:<id>} network, or null. */
  public BigInteger chainId() {
    if (!evm() || !network.substring(7).matches("[1-9][0-9]{0,18}")) {
      return null;
    }
    return new BigInteger(network.substring(7));
  }

  static Offer parse(ObjectNode node, Fields f) throws PaymentException {
    String scheme = f.string(node, "scheme");
    String network = f.string(node, "network");
    BigInteger amount = f.uint(node, "amount");
    String asset = f.string(node, "asset");
    String payTo = f.string(node, "payTo");
    long timeout = f.integer(node, "maxTimeoutSeconds");
    if (timeout <= 0 || timeout > MAX_TIMEOUT_SECONDS) {
      throw f.bad("maxTimeoutSeconds must be between 1 and " + MAX_TIMEOUT_SECONDS);
    }
    ObjectNode extra = f.optionalObject(node, "extra");
    String name = null;
    String version = null;
    String method = null;
    if (extra != null) {
      name = f.optionalString(extra, "name");
      version = f.optionalString(extra, "version");
      method = f.optionalString(extra, "assetTransferMethod");
    }
    if (network.startsWith("eip155:") && (name == null || version == null)) {
      // the EIP-712 domain of the token: without it no client can sign
      throw f.bad("an eip155 offer needs extra.name and extra.version");
    }
    return new Offer(scheme, network, amount, asset, payTo, timeout, name, version, method, node);
  }
}
