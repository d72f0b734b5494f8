package dev.briefcase.x402;

import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import org.web3j.crypto.ECDSASignature;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/**
 * EIP-712 digest and secp256k1 signature of an EIP-3009 {@code TransferWithAuthorization}, as the
 * x402 {@code exact} EVM scheme signs it. The typed data has one fixed shape, so it is encoded
 * directly (every member is a 32-byte word) rather than through a generic EIP-712 encoder; the
 * vector of SPEC §14.1 pins the bytes.
 */
public final class Eip3009 {
  /** Refusal code of {@link #recover} (the server's {@code payment_invalid}). */
  public static final String INVALID = "payment_invalid";

  static final String DOMAIN_TYPE =
      "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
  static final String TRANSFER_TYPE =
      "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,"
          + "uint256 validBefore,bytes32 nonce)";

  private static final BigInteger N = Sign.CURVE_PARAMS.getN();
  private static final BigInteger HALF_N = N.shiftRight(1);

  private Eip3009() {}

  /** The token's EIP-712 domain: {@code verifyingContract} is the asset. */
  public record Domain(String name, String version, BigInteger chainId, String verifyingContract) {
    public Domain {
      if (!Fields.isAddress(verifyingContract)) {
        throw new IllegalArgumentException("verifyingContract must be a 20-byte 0x address");
      }
    }

    /** The domain of an EVM offer: {@code extra.name}, {@code extra.version}, chain id, asset. */
    public static Domain of(Offer offer) {
      if (offer.chainId() == null || offer.extraName() == null || offer.extraVersion() == null) {
        throw new IllegalArgumentException("not an EIP-3009 offer");
      }
      return new Domain(offer.extraName(), offer.extraVersion(), offer.chainId(), offer.asset());
    }
  }

  /** Signs a digest with a key held elsewhere (e.g. PKCS#11): returns r and s only. */
  @FunctionalInterface
  public interface DigestSigner {
    /** r and s of an ECDSA secp256k1 signature over the 32-byte digest (no hashing). */
    BigInteger[] sign(byte[] digest) throws Exception;
  }

  public static byte[] typeHash() {
    return Hash.sha3(TRANSFER_TYPE.getBytes(StandardCharsets.US_ASCII));
  }

  public static byte[] domainSeparator(Domain d) {
    return Hash.sha3(
        concat(
            Hash.sha3(DOMAIN_TYPE.getBytes(StandardCharsets.US_ASCII)),
            Hash.sha3(d.name().getBytes(StandardCharsets.UTF_8)),
            Hash.sha3(d.version().getBytes(StandardCharsets.UTF_8)),
            word(d.chainId()),
            address(d.verifyingContract())));
  }

  public static byte[] structHash(Authorization a) {
    return Hash.sha3(
        concat(
            typeHash(),
            address(a.from()),
            address(a.to()),
            word(a.value()),
            word(a.validAfter()),
            word(a.validBefore()),
            a.nonceBytes()));
  }

  /** {@code keccak256(0x1901 ‖ domainSeparator ‖ structHash)}. */
  public static byte[] digest(Domain d, Authorization a) {
    return Hash.sha3(concat(new byte[] {0x19, 0x01}, domainSeparator(d), structHash(a)));
  }

  /** 65-byte r‖s‖v (low-S, v 27/28) as 0x-hex, deterministic (RFC 6979). */
  public static String sign(byte[] digest, ECKeyPair key) {
    Sign.SignatureData sig = Sign.signMessage(digest, key, false);
    return hex(concat(sig.getR(), sig.getS(), sig.getV()));
  }

  /**
   * Signs through an external signer: normalises s to the low half and finds v by recovering the
   * expected address.
   *
   * @throws PaymentException {@value #INVALID} when the signer's answer does not recover to {@code
   *     expectedAddress}
   */
  public static String sign(byte[] digest, DigestSigner signer, String expectedAddress)
      throws Exception {
    BigInteger[] rs = signer.sign(digest.clone());
    if (rs == null || rs.length != 2) {
      throw new PaymentException(INVALID, "the signer did not return r and s");
    }
    BigInteger r = rs[0];
    BigInteger s = rs[1].compareTo(HALF_N) > 0 ? N.subtract(rs[1]) : rs[1];
    if (!inRange(r) || !inRange(s)) {
      throw new PaymentException(INVALID, "the signer returned r or s out of range");
    }
    for (int recId = 0; recId < 2; recId++) {
      BigInteger key = Sign.recoverFromSignature(recId, new ECDSASignature(r, s), digest);
      if (key != null && sameAddress(address(key), expectedAddress)) {
        return hex(concat(word(r), word(s), new byte[] {(byte) (27 + recId)}));
      }
    }
    throw new PaymentException(INVALID, "the signature does not recover to the signer's address");
  }

  /**
   * The checksummed address that signed {@code digest}.
   *
   * @throws PaymentException {@value #INVALID} when the signature is not 65 bytes of 0x-hex, v is
   *     not 27/28, r or s is out of range or s is in the high half (a malleated copy)
   */
  public static String recover(byte[] digest, String signature) throws PaymentException {
    if (signature == null || !signature.matches("0x[0-9a-fA-F]{130}")) {
      throw new PaymentException(INVALID, "signature must be 65 bytes of 0x-hex");
    }
    byte[] raw = HexFormat.of().parseHex(signature.substring(2).toLowerCase(Locale.ROOT));
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(raw, 0, 32));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(raw, 32, 64));
    int v = raw[64] & 0xff;
    if (v != 27 && v != 28) {
      throw new PaymentException(INVALID, "signature v must be 27 or 28");
    }
    if (!inRange(r) || !inRange(s) || s.compareTo(HALF_N) > 0) {
      throw new PaymentException(INVALID, "signature r or s out of range (or high s)");
    }
    BigInteger key = Sign.recoverFromSignature(v - 27, new ECDSASignature(r, s), digest);
    if (key == null) {
      throw new PaymentException(INVALID, "signature does not recover to a key");
    }
    return address(key);
  }

  /** The checksummed address of a public key. */
  public static String address(BigInteger publicKey) {
    return Keys.toChecksumAddress(Keys.getAddress(publicKey));
  }

  /** Two 0x addresses compared by value (hex case is only a checksum). */
  public static boolean sameAddress(String a, String b) {
    return a != null && b != null && a.equalsIgnoreCase(b);
  }

  private static boolean inRange(BigInteger x) {
    return x.signum() > 0 && x.compareTo(N) < 0;
  }

  private static byte[] word(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, 32 - len, len);
    return out;
  }

  private static byte[] address(String hex) {
    byte[] out = new byte[32];
    byte[] a = HexFormat.of().parseHex(hex.substring(2).toLowerCase(Locale.ROOT));
    System.arraycopy(a, 0, out, 12, 20);
    return out;
  }

  static String hex(byte[] b) {
    return "0x" + HexFormat.of().formatHex(b);
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int i = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, i, p.length);
      i += p.length;
    }
    return out;
  }
}
