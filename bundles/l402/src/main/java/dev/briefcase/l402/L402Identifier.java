package dev.briefcase.l402;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The identifier of an L402 macaroon (bLIP-0026): {@code uint16 version (0) ‖ payment_hash[32] ‖
 * token_id[32]}, big-endian, 66 bytes.
 */
public final class L402Identifier {
  /** The only version defined. */
  public static final int VERSION_0 = 0;

  private static final int LENGTH = 2 + 32 + 32;

  private final int version;
  private final byte[] paymentHash;
  private final byte[] tokenId;

  private L402Identifier(int version, byte[] paymentHash, byte[] tokenId) {
    this.version = version;
    this.paymentHash = paymentHash;
    this.tokenId = tokenId;
  }

  /** A version 0 identifier. */
  public static L402Identifier of(byte[] paymentHash, byte[] tokenId) {
    if (paymentHash.length != 32 || tokenId.length != 32) {
      throw new IllegalArgumentException("payment hash and token id are 32 bytes each");
    }
    return new L402Identifier(VERSION_0, paymentHash.clone(), tokenId.clone());
  }

  /** Parses a macaroon identifier; any other length or version is {@code identifier_invalid}. */
  public static L402Identifier parse(byte[] identifier) throws L402Exception {
    if (identifier == null || identifier.length != LENGTH) {
      throw new L402Exception("identifier_invalid", "an L402 identifier is 66 bytes");
    }
    int version = ((identifier[0] & 0xff) << 8) | (identifier[1] & 0xff);
    if (version != VERSION_0) {
      throw new L402Exception("identifier_invalid", "unknown L402 identifier version " + version);
    }
    return new L402Identifier(
        version, Arrays.copyOfRange(identifier, 2, 34), Arrays.copyOfRange(identifier, 34, 66));
  }

  public byte[] encode() {
    return ByteBuffer.allocate(LENGTH)
        .putShort((short) version)
        .put(paymentHash)
        .put(tokenId)
        .array();
  }

  public int version() {
    return version;
  }

  public byte[] paymentHash() {
    return paymentHash.clone();
  }

  public String paymentHashHex() {
    return HexFormat.of().formatHex(paymentHash);
  }

  public byte[] tokenId() {
    return tokenId.clone();
  }

  public String tokenIdHex() {
    return HexFormat.of().formatHex(tokenId);
  }

  @Override
  public String toString() {
    return "L402Identifier[v" + version + ", payment_hash=" + paymentHashHex() + "]";
  }
}
