package dev.briefcase.l402;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9IntegerConverter;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A BOLT11 Lightning invoice, decoded and signature-checked. Immutable.
 *
 * <p>{@link #decode} checks the bech32 checksum (no 90-character limit; at most {@link #MAX_LENGTH}
 * characters, one case), maps the prefix to a network ({@code lnbc} bc, {@code lntb} tb, {@code
 * lnbcrt} bcrt, {@code lntbs} tbs), converts the amount to millisatoshi exactly (a {@code p} amount
 * must be a multiple of 10), reads the tagged fields Briefcase uses ({@code p s d h x n c 9}),
 * skips unknown ones and the {@code p h s n} fields of the wrong length as BOLT11 says, requires
 * exactly one payment hash, recovers the payee key from the low-S secp256k1 signature and, when an
 * {@code n} field is present, requires it to be that key.
 */
public final class Bolt11 {
  /** Longest invoice accepted (what fits in a QR code). */
  public static final int MAX_LENGTH = 7089;

  /** Expiry when the invoice has no {@code x} field. */
  public static final long DEFAULT_EXPIRY_SECONDS = 3600;

  /** {@code min_final_cltv_expiry} when the invoice has no {@code c} field. */
  public static final long DEFAULT_MIN_FINAL_CLTV = 18;

  private static final Map<String, String> NETWORKS =
      Map.of("bc", "bc", "tb", "tb", "bcrt", "bcrt", "tbs", "tbs");
  private static final long MSAT_PER_BTC = 100_000_000_000L;
  private static final int SIGNATURE_WORDS = 104;
  private static final X9ECParameters SECP256K1 = CustomNamedCurves.getByName("secp256k1");
  private static final ECDomainParameters CURVE =
      new ECDomainParameters(
          SECP256K1.getCurve(), SECP256K1.getG(), SECP256K1.getN(), SECP256K1.getH());
  private static final BigInteger HALF_N = CURVE.getN().shiftRight(1);

  private final String network;
  private final Long amountMsat;
  private final long timestamp;
  private final byte[] paymentHash;
  private final byte[] paymentSecret;
  private final String description;
  private final byte[] descriptionHash;
  private final long expirySeconds;
  private final long minFinalCltvExpiry;
  private final byte[] features;
  private final byte[] payeeNodeKey;
  private final boolean payeeNodeKeyField;
  private final byte[] signature;
  private final int recoveryId;

  private Bolt11(Fields f, byte[] payeeNodeKey, byte[] signature, int recoveryId) {
    this.network = f.network;
    this.amountMsat = f.amountMsat;
    this.timestamp = f.timestamp;
    this.paymentHash = f.paymentHash;
    this.paymentSecret = f.paymentSecret;
    this.description = f.description;
    this.descriptionHash = f.descriptionHash;
    this.expirySeconds = f.expirySeconds == null ? DEFAULT_EXPIRY_SECONDS : f.expirySeconds;
    this.minFinalCltvExpiry =
        f.minFinalCltvExpiry == null ? DEFAULT_MIN_FINAL_CLTV : f.minFinalCltvExpiry;
    this.features = f.features;
    this.payeeNodeKey = payeeNodeKey;
    this.payeeNodeKeyField = f.payeeNodeKey != null;
    this.signature = signature;
    this.recoveryId = recoveryId;
  }

  /**
   * Decodes and checks an invoice.
   *
   * @throws L402Exception {@code invoice_invalid} (malformed, too long, mixed case, bad amount, no
   *     payment hash), {@code invoice_checksum}, {@code invoice_network} (unknown prefix) or {@code
   *     invoice_signature_invalid}
   */
  public static Bolt11 decode(String invoice) throws L402Exception {
    if (invoice == null || invoice.isEmpty()) {
      throw new L402Exception("invoice_invalid", "empty invoice");
    }
    if (invoice.length() > MAX_LENGTH) {
      throw new L402Exception("invoice_invalid", "invoice above " + MAX_LENGTH + " characters");
    }
    Bech32.Decoded bech = Bech32.decode(invoice);
    String hrp = bech.hrp();
    byte[] words = bech.words();
    if (!hrp.startsWith("ln")) {
      throw new L402Exception("invoice_invalid", "not a Lightning invoice");
    }
    Fields f = new Fields();
    int i = 2;
    while (i < hrp.length() && hrp.charAt(i) >= 'a' && hrp.charAt(i) <= 'z') {
      i++;
    }
    f.network = NETWORKS.get(hrp.substring(2, i));
    if (f.network == null) {
      throw new L402Exception("invoice_network", "unknown invoice network prefix");
    }
    f.amountMsat = i == hrp.length() ? null : amount(hrp.substring(i));
    if (words.length < 7 + SIGNATURE_WORDS) {
      throw new L402Exception("invoice_invalid", "invoice too short");
    }
    int dataEnd = words.length - SIGNATURE_WORDS;
    f.timestamp = number(words, 0, 7);
    int pos = 7;
    while (pos < dataEnd) {
      if (pos + 3 > dataEnd) {
        throw new L402Exception("invoice_invalid", "truncated tagged field");
      }
      int type = words[pos];
      int len = words[pos + 1] * 32 + words[pos + 2];
      pos += 3;
      if (pos + len > dataEnd) {
        throw new L402Exception("invoice_invalid", "tagged field runs past the data");
      }
      f.read(type, words, pos, len);
      pos += len;
    }
    if (f.paymentHash == null) {
      throw new L402Exception("invoice_invalid", "invoice has no payment hash");
    }
    byte[] sig = Bech32.convert(words, dataEnd, SIGNATURE_WORDS, 5, 8, false);
    int recoveryId = sig[64];
    byte[] rs = Arrays.copyOf(sig, 64);
    byte[] hash = signingHash(hrp, words, dataEnd);
    byte[] key = recover(recoveryId, rs, hash);
    if (key == null) {
      throw new L402Exception("invoice_signature_invalid", "invoice signature does not verify");
    }
    if (f.payeeNodeKey != null && !Arrays.equals(key, f.payeeNodeKey)) {
      throw new L402Exception(
          "invoice_signature_invalid", "invoice is not signed by its payee node key");
    }
    return new Bolt11(f, key, rs, recoveryId);
  }

  /**
   * Encodes and signs an invoice (test nodes and tests): fields in the order {@code p s d h n x c
   * 9}, the amount with the largest exact multiplier, the signature RFC 6979 deterministic and
   * low-S.
   */
  public static String encode(Fields f, byte[] nodePrivateKey) {
    if (f.paymentHash == null || f.network == null) {
      throw new IllegalArgumentException("network and payment hash are required");
    }
    String hrp = "ln" + f.network + (f.amountMsat == null ? "" : amountText(f.amountMsat));
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    writeNumber(data, f.timestamp, 7);
    tag(data, 1, Bech32.convert(f.paymentHash, 0, 32, 8, 5, true));
    if (f.paymentSecret != null) {
      tag(data, 16, Bech32.convert(f.paymentSecret, 0, 32, 8, 5, true));
    }
    if (f.description != null) {
      byte[] d = f.description.getBytes(StandardCharsets.UTF_8);
      tag(data, 13, Bech32.convert(d, 0, d.length, 8, 5, true));
    }
    if (f.descriptionHash != null) {
      tag(data, 23, Bech32.convert(f.descriptionHash, 0, 32, 8, 5, true));
    }
    if (f.payeeNodeKey != null) {
      tag(data, 19, Bech32.convert(f.payeeNodeKey, 0, 33, 8, 5, true));
    }
    if (f.expirySeconds != null) {
      tag(data, 6, minimalNumber(f.expirySeconds));
    }
    if (f.minFinalCltvExpiry != null) {
      tag(data, 24, minimalNumber(f.minFinalCltvExpiry));
    }
    if (f.features != null) {
      tag(data, 5, f.features);
    }
    return sign(hrp, data.toByteArray(), nodePrivateKey);
  }

  /** Signs the data words under {@code hrp} and returns the invoice (tests build odd invoices). */
  static String sign(String hrp, byte[] words, byte[] nodePrivateKey) {
    byte[] hash = signingHash(hrp, words, words.length);
    BigInteger d = new BigInteger(1, nodePrivateKey);
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(d, CURVE));
    BigInteger[] sig = signer.generateSignature(hash);
    BigInteger s = sig[1].compareTo(HALF_N) > 0 ? CURVE.getN().subtract(sig[1]) : sig[1];
    byte[] rs = new byte[64];
    toFixed(sig[0], rs, 0);
    toFixed(s, rs, 32);
    byte[] pub = publicKey(nodePrivateKey);
    int recId = -1;
    for (int r = 0; r < 4 && recId < 0; r++) {
      if (Arrays.equals(pub, recover(r, rs, hash))) {
        recId = r;
      }
    }
    byte[] sig65 = Arrays.copyOf(rs, 65);
    sig65[64] = (byte) recId;
    byte[] sigWords = Bech32.convert(sig65, 0, 65, 8, 5, true);
    byte[] all = Arrays.copyOf(words, words.length + sigWords.length);
    System.arraycopy(sigWords, 0, all, words.length, sigWords.length);
    return Bech32.encode(hrp, all);
  }

  /** The compressed secp256k1 public key of a node private key. */
  public static byte[] publicKey(byte[] nodePrivateKey) {
    return CURVE.getG().multiply(new BigInteger(1, nodePrivateKey)).normalize().getEncoded(true);
  }

  /** Whether the invoice has expired at {@code now} (timestamp + expiry, inclusive). */
  public boolean expired(Instant now) {
    return now.getEpochSecond() >= expiresAt();
  }

  /** Seconds since the epoch when the invoice expires (saturating). */
  public long expiresAt() {
    long at = timestamp + expirySeconds;
    return at < timestamp ? Long.MAX_VALUE : at;
  }

  /** {@code bc}, {@code tb}, {@code bcrt} or {@code tbs}. */
  public String network() {
    return network;
  }

  /** The amount in millisatoshi, or null for an any-amount invoice. */
  public Long amountMsat() {
    return amountMsat;
  }

  public long timestamp() {
    return timestamp;
  }

  public byte[] paymentHash() {
    return paymentHash.clone();
  }

  public String paymentHashHex() {
    return HexFormat.of().formatHex(paymentHash);
  }

  /** The payment secret ({@code s}), or null. */
  public byte[] paymentSecret() {
    return paymentSecret == null ? null : paymentSecret.clone();
  }

  /** The description ({@code d}), or null. */
  public String description() {
    return description;
  }

  /** The description hash ({@code h}), or null. */
  public byte[] descriptionHash() {
    return descriptionHash == null ? null : descriptionHash.clone();
  }

  public long expirySeconds() {
    return expirySeconds;
  }

  public long minFinalCltvExpiry() {
    return minFinalCltvExpiry;
  }

  /** The feature field as 5-bit words, or null. */
  public byte[] features() {
    return features == null ? null : features.clone();
  }

  /** Whether feature bit {@code bit} (0 = least significant) is set. */
  public boolean feature(int bit) {
    if (features == null || bit < 0 || bit >= features.length * 5) {
      return false;
    }
    int word = features.length - 1 - bit / 5;
    return ((features[word] >> (bit % 5)) & 1) != 0;
  }

  /** The payee node key (33-byte compressed), recovered from the signature. */
  public byte[] payeeNodeKey() {
    return payeeNodeKey.clone();
  }

  public String payeeNodeKeyHex() {
    return HexFormat.of().formatHex(payeeNodeKey);
  }

  /** Whether the invoice named its payee with an {@code n} field. */
  public boolean hasPayeeNodeKeyField() {
    return payeeNodeKeyField;
  }

  /** r ‖ s (64 bytes). */
  public byte[] signature() {
    return signature.clone();
  }

  public int recoveryId() {
    return recoveryId;
  }

  @Override
  public String toString() {
    return "Bolt11["
        + network
        + ", "
        + amountMsat
        + " msat, payment_hash="
        + paymentHashHex()
        + "]";
  }

  /** The decoded fields, and the input of {@link #encode}. Null means absent. */
  public static final class Fields {
    public String network;
    public Long amountMsat;
    public long timestamp;
    public byte[] paymentHash;
    public byte[] paymentSecret;
    public String description;
    public byte[] descriptionHash;
    public Long expirySeconds;
    public Long minFinalCltvExpiry;
    public byte[] features;
    public byte[] payeeNodeKey;

    void read(int type, byte[] words, int off, int len) throws L402Exception {
      switch (type) {
        case 1 -> { // p: skipped unless 52 words, as BOLT11 says
          if (len == 52) {
            if (paymentHash != null) {
              throw new L402Exception("invoice_invalid", "invoice has two payment hashes");
            }
            paymentHash = bytes(words, off, len);
          }
        }
        case 16 -> {
          if (len == 52 && paymentSecret == null) {
            paymentSecret = bytes(words, off, len);
          }
        }
        case 13 -> {
          if (description == null) {
            description = utf8(Bech32.convert(words, off, len, 5, 8, false));
          }
        }
        case 23 -> {
          if (len == 52 && descriptionHash == null) {
            descriptionHash = bytes(words, off, len);
          }
        }
        case 19 -> {
          if (len == 53 && payeeNodeKey == null) {
            payeeNodeKey = bytes(words, off, len);
          }
        }
        case 6 -> {
          if (expirySeconds == null) {
            expirySeconds = number(words, off, len);
          }
        }
        case 24 -> {
          if (minFinalCltvExpiry == null) {
            minFinalCltvExpiry = number(words, off, len);
          }
        }
        case 5 -> {
          if (features == null) {
            features = Arrays.copyOfRange(words, off, off + len);
          }
        }
        default -> {
          // unknown or unused (r routing hints, f fallback, m metadata): skipped per BOLT11
        }
      }
    }
  }

  private static byte[] bytes(byte[] words, int off, int len) {
    return Bech32.convert(words, off, len, 5, 8, false);
  }

  private static long number(byte[] words, int off, int len) throws L402Exception {
    if (len > 12) {
      throw new L402Exception("invoice_invalid", "invoice number field too long");
    }
    long n = 0;
    for (int i = off; i < off + len; i++) {
      n = n << 5 | words[i];
    }
    return n;
  }

  private static byte[] minimalNumber(long n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int groups = 1;
    while (groups < 13 && (n >>> (5 * groups)) != 0) {
      groups++;
    }
    writeNumber(out, n, groups);
    return out.toByteArray();
  }

  private static void writeNumber(ByteArrayOutputStream out, long n, int groups) {
    for (int i = groups - 1; i >= 0; i--) {
      out.write((int) (n >>> (5 * i)) & 31);
    }
  }

  private static void tag(ByteArrayOutputStream out, int type, byte[] words) {
    out.write(type);
    out.write(words.length / 32);
    out.write(words.length % 32);
    out.write(words, 0, words.length);
  }

  private static Long amount(String text) throws L402Exception {
    char last = text.charAt(text.length() - 1);
    String digits = Character.isDigit(last) ? text : text.substring(0, text.length() - 1);
    if (digits.isEmpty()
        || digits.length() > 19
        || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
        || digits.charAt(0) == '0') {
      throw new L402Exception("invoice_invalid", "invoice amount malformed");
    }
    try {
      long n = Long.parseLong(digits);
      long msat =
          switch (Character.isDigit(last) ? ' ' : last) {
            case ' ' -> Math.multiplyExact(n, MSAT_PER_BTC);
            case 'm' -> Math.multiplyExact(n, MSAT_PER_BTC / 1_000);
            case 'u' -> Math.multiplyExact(n, MSAT_PER_BTC / 1_000_000);
            case 'n' -> Math.multiplyExact(n, MSAT_PER_BTC / 1_000_000_000);
            case 'p' -> {
              if (n % 10 != 0) {
                throw new L402Exception(
                    "invoice_invalid", "a pico-BTC amount must be a multiple of 10");
              }
              yield n / 10;
            }
            default -> throw new L402Exception("invoice_invalid", "unknown amount multiplier");
          };
      return msat;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new L402Exception("invoice_invalid", "invoice amount out of range");
    }
  }

  private static String amountText(long msat) {
    if (msat <= 0) {
      throw new IllegalArgumentException("amount must be positive");
    }
    if (msat % MSAT_PER_BTC == 0) {
      return Long.toString(msat / MSAT_PER_BTC);
    }
    for (char unit : new char[] {'m', 'u', 'n'}) {
      long per =
          switch (unit) {
            case 'm' -> MSAT_PER_BTC / 1_000;
            case 'u' -> MSAT_PER_BTC / 1_000_000;
            default -> MSAT_PER_BTC / 1_000_000_000;
          };
      if (msat % per == 0) {
        return msat / per + String.valueOf(unit);
      }
    }
    return Math.multiplyExact(msat, 10) + "p";
  }

  private static byte[] signingHash(String hrp, byte[] words, int dataEnd) {
    byte[] data = Bech32.convert(words, 0, dataEnd, 5, 8, true);
    byte[] h = hrp.getBytes(StandardCharsets.US_ASCII);
    byte[] msg = Arrays.copyOf(h, h.length + data.length);
    System.arraycopy(data, 0, msg, h.length, data.length);
    return Preimage.sha256(msg);
  }

  /** SEC 1 §4.1.6 public key recovery; null when the signature is invalid or high-S. */
  private static byte[] recover(int recId, byte[] rs, byte[] hash) {
    BigInteger n = CURVE.getN();
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(rs, 0, 32));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(rs, 32, 64));
    if (recId < 0
        || recId > 3
        || r.signum() == 0
        || r.compareTo(n) >= 0
        || s.signum() == 0
        || s.compareTo(HALF_N) > 0) {
      return null;
    }
    BigInteger x = recId >= 2 ? r.add(n) : r;
    if (x.compareTo(CURVE.getCurve().getField().getCharacteristic()) >= 0) {
      return null;
    }
    ECPoint bigR;
    try {
      X9IntegerConverter conv = new X9IntegerConverter();
      byte[] enc = conv.integerToBytes(x, 1 + conv.getByteLength(CURVE.getCurve()));
      enc[0] = (byte) ((recId & 1) == 1 ? 0x03 : 0x02);
      bigR = CURVE.getCurve().decodePoint(enc);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (!bigR.multiply(n).isInfinity()) {
      return null;
    }
    BigInteger e = new BigInteger(1, hash);
    BigInteger rInv = r.modInverse(n);
    BigInteger u1 = n.subtract(e).mod(n).multiply(rInv).mod(n);
    BigInteger u2 = s.multiply(rInv).mod(n);
    ECPoint q = ECAlgorithms.sumOfTwoMultiplies(CURVE.getG(), u1, bigR, u2).normalize();
    return q.isInfinity() ? null : q.getEncoded(true);
  }

  private static void toFixed(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, off + 32 - len, len);
  }

  private static String utf8(byte[] bytes) throws L402Exception {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new L402Exception("invoice_invalid", "invoice description is not UTF-8");
    }
  }
}
