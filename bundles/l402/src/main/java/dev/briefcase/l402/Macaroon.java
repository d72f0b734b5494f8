package dev.briefcase.l402;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A macaroon in the V2 binary format (libmacaroons, go-macaroon, npm {@code macaroon}) with
 * first-party caveats only. Immutable and thread-safe.
 *
 * <p>Layout: version byte {@code 2}; a header section {@code [location] identifier EOS}; one
 * section per caveat {@code [location] identifier [vid] EOS}; {@code EOS}; then the signature
 * field. A field is a type byte (location 1, identifier 2, vid 4, signature 6; EOS is 0) and a
 * varint length. The signature chain is {@code HMAC(k, id)} then {@code HMAC(sig, caveat)} per
 * caveat, with {@code k = HMAC-SHA256(key="macaroons-key-generator", data=rootKey)} as every
 * libmacaroons-compatible library derives it.
 *
 * <p>Parsing is bounded ({@link #MAX_BYTES}, {@link #MAX_CAVEATS}, {@link #MAX_FIELD}) and strict
 * (field order, no trailing bytes, 32-byte signature, UTF-8 caveats). A third-party caveat (one
 * with a verification id) is refused: Briefcase has no discharge macaroons.
 */
public final class Macaroon {
  /** Largest binary macaroon accepted. */
  public static final int MAX_BYTES = 8 * 1024;

  /** Most caveats accepted. */
  public static final int MAX_CAVEATS = 64;

  /** Longest location, identifier or caveat accepted. */
  public static final int MAX_FIELD = 4 * 1024;

  private static final int VERSION_2 = 2;
  private static final int EOS = 0;
  private static final int LOCATION = 1;
  private static final int IDENTIFIER = 2;
  private static final int VID = 4;
  private static final int SIGNATURE = 6;
  private static final byte[] KEY_GENERATOR =
      "macaroons-key-generator".getBytes(StandardCharsets.UTF_8);

  private final String location;
  private final byte[] identifier;
  private final List<String> caveats;
  private final byte[] signature;

  private Macaroon(String location, byte[] identifier, List<String> caveats, byte[] signature) {
    this.location = location;
    this.identifier = identifier;
    this.caveats = List.copyOf(caveats);
    this.signature = signature;
  }

  /**
   * Mints a macaroon under {@code rootKey} with first-party {@code caveats} in order.
   *
   * @param location may be null (no location field)
   */
  public static Macaroon mint(
      byte[] rootKey, String location, byte[] identifier, List<String> caveats) {
    if (identifier.length == 0 || identifier.length > MAX_FIELD || caveats.size() > MAX_CAVEATS) {
      throw new IllegalArgumentException("identifier or caveats out of bounds");
    }
    byte[] sig = hmac(hmac(KEY_GENERATOR, rootKey), identifier);
    Macaroon m = new Macaroon(location, identifier.clone(), List.of(), sig);
    for (String caveat : caveats) {
      m = m.withCaveat(caveat);
    }
    return m;
  }

  /** This macaroon with one more first-party caveat, its signature extended. */
  public Macaroon withCaveat(String caveat) {
    byte[] id = caveat.getBytes(StandardCharsets.UTF_8);
    if (id.length == 0 || id.length > MAX_FIELD || caveats.size() >= MAX_CAVEATS) {
      throw new IllegalArgumentException("caveat out of bounds");
    }
    List<String> more = new ArrayList<>(caveats);
    more.add(caveat);
    return new Macaroon(location, identifier, more, hmac(signature, id));
  }

  /**
   * Parses standard or URL-safe base64 (padding optional) of the binary form.
   *
   * @throws L402Exception {@code macaroon_invalid}, {@code macaroon_too_large} or {@code
   *     macaroon_third_party_caveat}
   */
  public static Macaroon parseBase64(String b64) throws L402Exception {
    if (b64 == null || b64.isEmpty()) {
      throw new L402Exception("macaroon_invalid", "empty macaroon");
    }
    if (b64.length() > (MAX_BYTES + 2) / 3 * 4) {
      throw new L402Exception("macaroon_too_large", "macaroon above " + MAX_BYTES + " bytes");
    }
    String s = b64;
    while (s.endsWith("=")) {
      s = s.substring(0, s.length() - 1);
    }
    boolean urlSafe = s.indexOf('-') >= 0 || s.indexOf('_') >= 0;
    if (urlSafe && (s.indexOf('+') >= 0 || s.indexOf('/') >= 0)) {
      throw new L402Exception("macaroon_invalid", "macaroon mixes base64 alphabets");
    }
    try {
      return parse((urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(s));
    } catch (IllegalArgumentException e) {
      throw new L402Exception("macaroon_invalid", "macaroon is not base64");
    }
  }

  /** Parses the V2 binary form. */
  public static Macaroon parse(byte[] data) throws L402Exception {
    if (data.length > MAX_BYTES) {
      throw new L402Exception("macaroon_too_large", "macaroon above " + MAX_BYTES + " bytes");
    }
    Reader r = new Reader(data);
    if (r.remaining() == 0 || r.readByte() != VERSION_2) {
      throw new L402Exception("macaroon_invalid", "not a V2 binary macaroon");
    }
    Section header = r.section();
    if (header.identifier == null || header.vid != null) {
      throw new L402Exception("macaroon_invalid", "macaroon header has no identifier");
    }
    List<String> caveats = new ArrayList<>();
    while (r.peek() != EOS) {
      Section caveat = r.section();
      if (caveat.identifier == null) {
        throw new L402Exception("macaroon_invalid", "caveat has no identifier");
      }
      if (caveat.vid != null || caveat.location != null) {
        throw new L402Exception(
            "macaroon_third_party_caveat", "third-party caveats are not supported");
      }
      if (caveats.size() >= MAX_CAVEATS) {
        throw new L402Exception("macaroon_too_large", "more than " + MAX_CAVEATS + " caveats");
      }
      caveats.add(utf8(caveat.identifier));
    }
    r.readByte(); // the EOS closing the caveats
    if (r.remaining() == 0 || r.readByte() != SIGNATURE) {
      throw new L402Exception("macaroon_invalid", "macaroon has no signature");
    }
    byte[] sig = r.field();
    if (sig.length != 32) {
      throw new L402Exception("macaroon_invalid", "macaroon signature is not 32 bytes");
    }
    if (r.remaining() != 0) {
      throw new L402Exception("macaroon_invalid", "trailing bytes after the signature");
    }
    String location = header.location == null ? null : utf8(header.location);
    return new Macaroon(location, header.identifier, caveats, sig);
  }

  /**
   * Checks the signature chain under {@code rootKey} (constant-time comparison), then every caveat
   * against {@code caveatSatisfied}; caveats are only looked at once the chain holds.
   *
   * @throws L402Exception {@code macaroon_signature_invalid} or {@code macaroon_caveat_unsatisfied}
   */
  public void verify(byte[] rootKey, Predicate<String> caveatSatisfied) throws L402Exception {
    byte[] expected = hmac(hmac(KEY_GENERATOR, rootKey), identifier);
    for (String caveat : caveats) {
      expected = hmac(expected, caveat.getBytes(StandardCharsets.UTF_8));
    }
    if (!MessageDigest.isEqual(expected, signature)) {
      throw new L402Exception("macaroon_signature_invalid", "macaroon signature does not verify");
    }
    for (String caveat : caveats) {
      if (!caveatSatisfied.test(caveat)) {
        int eq = caveat.indexOf('=');
        String name = eq < 0 ? "caveat" : caveat.substring(0, Math.min(eq, 64));
        throw new L402Exception("macaroon_caveat_unsatisfied", "caveat " + name + " not satisfied");
      }
    }
  }

  /** The V2 binary form. */
  public byte[] serialize() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(VERSION_2);
    if (location != null) {
      field(out, LOCATION, location.getBytes(StandardCharsets.UTF_8));
    }
    field(out, IDENTIFIER, identifier);
    out.write(EOS);
    for (String caveat : caveats) {
      field(out, IDENTIFIER, caveat.getBytes(StandardCharsets.UTF_8));
      out.write(EOS);
    }
    out.write(EOS);
    field(out, SIGNATURE, signature);
    return out.toByteArray();
  }

  /**
   * Standard padded base64 of {@link #serialize()}, as npm {@code macaroon} and Aperture send it.
   */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(serialize());
  }

  /** The location, or null when the macaroon has none. */
  public String location() {
    return location;
  }

  public byte[] identifier() {
    return identifier.clone();
  }

  /** The first-party caveats in order. */
  public List<String> caveats() {
    return caveats;
  }

  /** The signature (a bearer secret together with the macaroon: never log it). */
  public byte[] signature() {
    return signature.clone();
  }

  /** Names the location and caveat count only: a macaroon is a bearer credential. */
  @Override
  public String toString() {
    return "Macaroon[location=" + location + ", caveats=" + caveats.size() + "]";
  }

  private static void field(ByteArrayOutputStream out, int type, byte[] value) {
    out.write(type);
    long n = value.length;
    while (n >= 0x80) {
      out.write((int) (n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.write((int) n);
    out.write(value, 0, value.length);
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
      throw new L402Exception("macaroon_invalid", "macaroon text field is not UTF-8");
    }
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 missing from the JDK", e);
    }
  }

  private static final class Section {
    byte[] location;
    byte[] identifier;
    byte[] vid;
  }

  /** A bounds-checked cursor over the binary form. */
  private static final class Reader {
    private final byte[] data;
    private int pos;

    Reader(byte[] data) {
      this.data = data;
    }

    int remaining() {
      return data.length - pos;
    }

    int peek() throws L402Exception {
      if (pos >= data.length) {
        throw new L402Exception("macaroon_invalid", "macaroon truncated");
      }
      return data[pos] & 0xff;
    }

    int readByte() throws L402Exception {
      int b = peek();
      pos++;
      return b;
    }

    /** Fields in increasing type order up to EOS. */
    Section section() throws L402Exception {
      Section s = new Section();
      int last = EOS;
      for (int type = readByte(); type != EOS; type = readByte()) {
        if (type <= last) {
          throw new L402Exception("macaroon_invalid", "macaroon fields out of order");
        }
        last = type;
        switch (type) {
          case LOCATION -> s.location = field();
          case IDENTIFIER -> s.identifier = field();
          case VID -> s.vid = field();
          default ->
              throw new L402Exception("macaroon_invalid", "unexpected macaroon field type " + type);
        }
      }
      return s;
    }

    byte[] field() throws L402Exception {
      long length = 0;
      for (int shift = 0; ; shift += 7) {
        if (shift > 28) {
          throw new L402Exception("macaroon_invalid", "macaroon field length overflows");
        }
        int b = readByte();
        length |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      if (length > MAX_FIELD) {
        throw new L402Exception("macaroon_too_large", "macaroon field above " + MAX_FIELD);
      }
      if (length > remaining()) {
        throw new L402Exception("macaroon_invalid", "macaroon truncated");
      }
      byte[] value = new byte[(int) length];
      System.arraycopy(data, pos, value, 0, value.length);
      pos += value.length;
      return value;
    }
  }
}
