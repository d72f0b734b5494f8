package dev.briefcase.l402;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import org.junit.Test;

public class Bolt11Test {
  static final byte[] NODE_KEY =
      HexFormat.of().parseHex("ea974a935204ac9ea97000f29bd01a630f4b8af03b0e4ff07b39b66c0cef87a1");
  static final byte[] OTHER_KEY = HexFormat.of().parseHex("11".repeat(32));
  static final byte[] HASH = HexFormat.of().parseHex("75".repeat(32));
  static final long T = 1_735_689_600L;

  static Bolt11.Fields fields(String network, Long msat) {
    Bolt11.Fields f = new Bolt11.Fields();
    f.network = network;
    f.amountMsat = msat;
    f.timestamp = T;
    f.paymentHash = HASH;
    f.paymentSecret = HexFormat.of().parseHex("03".repeat(32));
    f.description = "test";
    return f;
  }

  private static String code(String invoice) {
    return assertThrows(L402Exception.class, () -> Bolt11.decode(invoice)).code();
  }

  /** The data words (without signature and checksum) of a valid invoice. */
  private static byte[] words(String invoice) throws L402Exception {
    byte[] w = Bech32.decode(invoice).words();
    return Arrays.copyOf(w, w.length - 104);
  }

  /** Timestamp then the given tags (type, 5-bit words), signed by the node key. */
  private static String raw(String hrp, int[][] tags) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 6; i >= 0; i--) {
      out.write((int) (T >>> (5 * i)) & 31);
    }
    for (int[] tag : tags) {
      out.write(tag[0]);
      out.write((tag.length - 1) / 32);
      out.write((tag.length - 1) % 32);
      for (int i = 1; i < tag.length; i++) {
        out.write(tag[i]);
      }
    }
    return Bolt11.sign(hrp, out.toByteArray(), NODE_KEY);
  }

  private static int[] tag(int type, byte[] bytes) {
    byte[] w = Bech32.convert(bytes, 0, bytes.length, 8, 5, true);
    int[] t = new int[w.length + 1];
    t[0] = type;
    for (int i = 0; i < w.length; i++) {
      t[i + 1] = w[i];
    }
    return t;
  }

  @Test
  public void encodedInvoiceDecodesToTheSameFieldsOnEveryNetwork() throws Exception {
    for (String net : new String[] {"bc", "tb", "bcrt", "tbs"}) {
      String inv = Bolt11.encode(fields(net, 250_000L), NODE_KEY);
      assertTrue(inv, inv.startsWith("ln" + net + "2500n1"));
      Bolt11 d = Bolt11.decode(inv);
      assertEquals(net, d.network());
      assertEquals(Long.valueOf(250_000L), d.amountMsat());
      assertEquals(T, d.timestamp());
      assertArrayEquals(HASH, d.paymentHash());
      assertEquals("test", d.description());
      assertEquals(Bolt11.DEFAULT_EXPIRY_SECONDS, d.expirySeconds());
      assertEquals(Bolt11.DEFAULT_MIN_FINAL_CLTV, d.minFinalCltvExpiry());
      assertArrayEquals(Bolt11.publicKey(NODE_KEY), d.payeeNodeKey());
    }
  }

  @Test
  public void amountMultipliersConvertToExactMillisatoshi() throws Exception {
    long[][] cases = {
      {100_000_000_000L, 0}, {100_000_000L, 0}, {100_000L, 0}, {100L, 0}, {1L, 0}, {12_300L, 0},
    };
    String[] prefixes = {"lnbc1", "lnbc1m", "lnbc1u", "lnbc1n", "lnbc10p", "lnbc123n"};
    for (int i = 0; i < cases.length; i++) {
      String inv = Bolt11.encode(fields("bc", cases[i][0]), NODE_KEY);
      assertTrue(inv, inv.startsWith(prefixes[i] + "1"));
      assertEquals(Long.valueOf(cases[i][0]), Bolt11.decode(inv).amountMsat());
    }
    assertNull(Bolt11.decode(Bolt11.encode(fields("bc", null), NODE_KEY)).amountMsat());
  }

  @Test
  public void picoAmountNotAMultipleOfTenIsRefused() throws Exception {
    assertEquals("invoice_invalid", code(raw("lnbc15p", new int[][] {tag(1, HASH)})));
    assertEquals(
        Long.valueOf(2L), Bolt11.decode(raw("lnbc20p", new int[][] {tag(1, HASH)})).amountMsat());
  }

  @Test
  public void amountOverflowAndLeadingZerosAreRefused() {
    assertEquals("invoice_invalid", code(raw("lnbc92233720368548", new int[][] {tag(1, HASH)})));
    assertEquals(
        "invoice_invalid", code(raw("lnbc99999999999999999999m", new int[][] {tag(1, HASH)})));
    assertEquals("invoice_invalid", code(raw("lnbc01u", new int[][] {tag(1, HASH)})));
    assertEquals("invoice_invalid", code(raw("lnbc1x", new int[][] {tag(1, HASH)})));
  }

  @Test
  public void unknownNetworkPrefixIsRefused() {
    assertEquals("invoice_network", code(raw("lnltc1u", new int[][] {tag(1, HASH)})));
    assertEquals("invoice_network", code(raw("lnsb1u", new int[][] {tag(1, HASH)})));
    assertEquals("invoice_invalid", code(raw("lx1u", new int[][] {tag(1, HASH)})));
  }

  @Test
  public void badChecksumIsRefused() throws Exception {
    String inv = Bolt11.encode(fields("bc", 1000L), NODE_KEY);
    char last = inv.charAt(inv.length() - 1);
    String bad = inv.substring(0, inv.length() - 1) + (last == 'q' ? 'p' : 'q');
    assertEquals("invoice_checksum", code(bad));
  }

  @Test
  public void tamperedFieldWithRecomputedChecksumCannotKeepThePayee() throws Exception {
    Bolt11.Fields f = fields("bc", 1000L);
    String inv = Bolt11.encode(f, NODE_KEY);
    Bech32.Decoded d = Bech32.decode(inv);
    byte[] w = d.words().clone();
    w[10] ^= 1; // inside the payment hash
    // recovery yields some other key: the forged invoice no longer names the real payee
    Bolt11 forged = Bolt11.decode(Bech32.encode(d.hrp(), w));
    assertFalse(Arrays.equals(Bolt11.publicKey(NODE_KEY), forged.payeeNodeKey()));
    Bolt11 raised = Bolt11.decode(Bech32.encode("lnbc1m", d.words()));
    assertFalse(Arrays.equals(Bolt11.publicKey(NODE_KEY), raised.payeeNodeKey()));
    // with an n field the forgery is refused outright
    f.payeeNodeKey = Bolt11.publicKey(NODE_KEY);
    Bech32.Decoded named = Bech32.decode(Bolt11.encode(f, NODE_KEY));
    byte[] nw = named.words().clone();
    nw[10] ^= 1;
    assertEquals("invoice_signature_invalid", code(Bech32.encode(named.hrp(), nw)));
    assertEquals("invoice_signature_invalid", code(Bech32.encode("lnbc1m", named.words())));
  }

  @Test
  public void signatureFromAnotherKeyRecoversAnotherPayee() throws Exception {
    Bolt11 a = Bolt11.decode(Bolt11.encode(fields("bc", 1000L), NODE_KEY));
    Bolt11 b = Bolt11.decode(Bolt11.encode(fields("bc", 1000L), OTHER_KEY));
    assertFalse(Arrays.equals(a.payeeNodeKey(), b.payeeNodeKey()));
  }

  @Test
  public void payeeFieldMustMatchTheSigner() throws Exception {
    Bolt11.Fields f = fields("bc", 1000L);
    f.payeeNodeKey = Bolt11.publicKey(NODE_KEY);
    Bolt11 ok = Bolt11.decode(Bolt11.encode(f, NODE_KEY));
    assertTrue(ok.hasPayeeNodeKeyField());
    f.payeeNodeKey = Bolt11.publicKey(OTHER_KEY);
    assertEquals("invoice_signature_invalid", code(Bolt11.encode(f, NODE_KEY)));
  }

  @Test
  public void highSOrZeroSignatureIsRefused() throws Exception {
    String inv = Bolt11.encode(fields("bc", 1000L), NODE_KEY);
    Bech32.Decoded d = Bech32.decode(inv);
    byte[] data = words(inv);
    byte[] sigWords = Arrays.copyOfRange(d.words(), data.length, d.words().length);
    byte[] sig = Bech32.convert(sigWords, 0, sigWords.length, 5, 8, false);
    java.math.BigInteger n =
        new java.math.BigInteger(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16);
    java.math.BigInteger s = new java.math.BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
    byte[] highS = n.subtract(s).toByteArray();
    byte[] flipped = sig.clone();
    System.arraycopy(highS, highS.length - 32, flipped, 32, 32);
    flipped[64] ^= 1;
    assertEquals("invoice_signature_invalid", code(withSignature(d.hrp(), data, flipped)));
    byte[] zero = new byte[65];
    assertEquals("invoice_signature_invalid", code(withSignature(d.hrp(), data, zero)));
    byte[] badRecId = sig.clone();
    badRecId[64] = 7;
    assertEquals("invoice_signature_invalid", code(withSignature(d.hrp(), data, badRecId)));
  }

  private static String withSignature(String hrp, byte[] data, byte[] sig65) {
    byte[] sw = Bech32.convert(sig65, 0, 65, 8, 5, true);
    byte[] all = Arrays.copyOf(data, data.length + sw.length);
    System.arraycopy(sw, 0, all, data.length, sw.length);
    return Bech32.encode(hrp, all);
  }

  @Test
  public void mixedCaseIsRefusedButAllUpperCaseIsAccepted() throws Exception {
    String inv = Bolt11.encode(fields("bc", 1000L), NODE_KEY);
    String upper = inv.toUpperCase(Locale.ROOT);
    assertArrayEquals(HASH, Bolt11.decode(upper).paymentHash());
    String mixed = "LN" + inv.substring(2);
    assertEquals("invoice_invalid", code(mixed));
  }

  @Test
  public void paymentHashOfTheWrongLengthIsSkippedSoTheInvoiceHasNone() {
    byte[] shortHash = Arrays.copyOf(HASH, 31);
    assertEquals("invoice_invalid", code(raw("lnbc1u", new int[][] {tag(1, shortHash)})));
    // a wrong-length p next to a right one: the right one is used
    byte[] other = HexFormat.of().parseHex("99".repeat(32));
    int[] longP = Arrays.copyOf(tag(1, other), 54);
    String both = raw("lnbc1u", new int[][] {longP, tag(1, HASH)});
    try {
      assertArrayEquals(HASH, Bolt11.decode(both).paymentHash());
    } catch (L402Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  public void twoPaymentHashesAreRefused() {
    byte[] other = HexFormat.of().parseHex("99".repeat(32));
    assertEquals("invoice_invalid", code(raw("lnbc1u", new int[][] {tag(1, HASH), tag(1, other)})));
  }

  @Test
  public void unknownFieldsAreSkipped() throws Exception {
    Bolt11 d =
        Bolt11.decode(
            raw("lnbc1u", new int[][] {{31, 1, 2, 3}, tag(1, HASH), tag(3, new byte[51])}));
    assertArrayEquals(HASH, d.paymentHash());
  }

  @Test
  public void fieldRunningPastTheDataIsRefused() throws Exception {
    String inv = raw("lnbc1u", new int[][] {tag(1, HASH)});
    byte[] w = words(inv);
    byte[] longer = Arrays.copyOf(w, w.length + 3);
    longer[w.length] = 13;
    longer[w.length + 1] = 31;
    longer[w.length + 2] = 31;
    assertEquals("invoice_invalid", code(Bolt11.sign("lnbc1u", longer, NODE_KEY)));
  }

  @Test
  public void expiryIsTimestampPlusXAndDefaultsTo3600() throws Exception {
    Bolt11.Fields f = fields("bc", 1000L);
    Bolt11 d = Bolt11.decode(Bolt11.encode(f, NODE_KEY));
    assertFalse(d.expired(Instant.ofEpochSecond(T + 3599)));
    assertTrue(d.expired(Instant.ofEpochSecond(T + 3600)));
    f.expirySeconds = 60L;
    Bolt11 x = Bolt11.decode(Bolt11.encode(f, NODE_KEY));
    assertEquals(60, x.expirySeconds());
    assertTrue(x.expired(Instant.ofEpochSecond(T + 61)));
    assertFalse(x.expired(Instant.ofEpochSecond(T + 59)));
  }

  @Test
  public void tooLongOrEmptyOrGarbageInvoicesAreRefused() {
    assertEquals("invoice_invalid", code("lnbc1" + "q".repeat(Bolt11.MAX_LENGTH)));
    assertEquals("invoice_invalid", code(""));
    assertEquals("invoice_invalid", code("lnbc1u"));
    assertEquals("invoice_invalid", code("lnbc1uqqqqqqbbbbbb"));
    assertEquals("invoice_invalid", code("lnbc\u00e91uqqqqqq"));
  }

  @Test
  public void descriptionHashIsRead() throws Exception {
    Bolt11.Fields f = fields("bc", 1000L);
    f.description = null;
    f.descriptionHash = Preimage.sha256("long description");
    Bolt11 d = Bolt11.decode(Bolt11.encode(f, NODE_KEY));
    assertArrayEquals(Preimage.sha256("long description"), d.descriptionHash());
    assertNull(d.description());
  }
}
