package dev.briefcase.provider.gateway.internal;

import dev.briefcase.l402.L402Authorization;
import dev.briefcase.l402.L402Exception;
import dev.briefcase.l402.L402Identifier;
import dev.briefcase.l402.Macaroon;
import dev.briefcase.l402.Preimage;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * L402 (bLIP-0026) on the priced mint: the challenge (an invoice of the provider's Lightning node
 * and a macaroon whose identifier is {@code uint16 0 ‖ payment_hash ‖ token_id}) and the check of
 * {@code Authorization: L402|LSAT <macaroon b64>:<preimage hex>}.
 *
 * <p>Each macaroon has its own root key, HMAC-SHA256(root secret, identifier), so the provider
 * keeps no per-token state until a token is spent; the root secret lives in the secret store.
 * Caveats: {@code services=<scope>:0}, {@code <scope>_capabilities=read}, {@code
 * <scope>_valid_until=<epoch s>}; any other caveat is unsatisfied (fail closed).
 *
 * <p>Refusals: a missing or malformed credential is a 402 with a fresh challenge ({@code
 * l402_credential_malformed}); a well-formed credential that can never be valid (HMAC, caveat,
 * expiry, preimage) 401 {@code l402_invalid}; an invoice the node does not report settled 402
 * {@code l402_not_settled}; a spent token 402 {@code l402_token_used}.
 */
final class L402Gate implements InvoiceSource {
  static final String MALFORMED = "l402_credential_malformed";
  static final String INVALID = "l402_invalid";
  static final String NOT_SETTLED = "l402_not_settled";
  static final String USED = "l402_token_used";
  static final String ROOT_SECRET_UNAVAILABLE = "l402_root_secret_unavailable";

  /** How long a challenge's macaroon may be presented (and so how long a spent id is kept). */
  static final long VALID_SECONDS = 600;

  private final LightningInvoices node;
  private final L402Tokens spent;
  private final Supplier<byte[]> rootSecret;
  private final Clock clock;
  private final SecureRandom random;
  private final String scope;
  private final long usdPerBtc;
  private final long expirySeconds;

  L402Gate(
      LightningInvoices node,
      L402Tokens spent,
      Supplier<byte[]> rootSecret,
      Clock clock,
      SecureRandom random,
      String scope,
      long usdPerBtc,
      long expirySeconds) {
    if (usdPerBtc <= 0) {
      throw new IllegalArgumentException("l402.usd_per_btc must be positive");
    }
    this.node = node;
    this.spent = spent;
    this.rootSecret = rootSecret;
    this.clock = clock;
    this.random = random;
    this.scope = scope;
    this.usdPerBtc = usdPerBtc;
    this.expirySeconds = Math.max(60, expirySeconds);
  }

  /** Whether {@code authorization} names the L402 (or legacy LSAT) scheme. */
  static boolean isL402(String authorization) {
    int sp = authorization.indexOf(' ');
    String scheme =
        (sp < 0 ? authorization : authorization.substring(0, sp)).toUpperCase(Locale.ROOT);
    return scheme.equals("L402") || scheme.equals("LSAT");
  }

  /**
   * The price in millisatoshi at the configured rate (µUSD = msat × usd_per_btc / 100000), rounded
   * up so the provider is never paid less than its price.
   */
  long msat(long microUsd) {
    BigInteger[] qr =
        BigInteger.valueOf(microUsd)
            .multiply(BigInteger.valueOf(100_000))
            .divideAndRemainder(BigInteger.valueOf(usdPerBtc));
    BigInteger msat = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    return Math.max(1, msat.longValueExact());
  }

  @Override
  public Invoice create(long amountMicroUsd, String resource) {
    LightningInvoices.Added added =
        node.add(msat(amountMicroUsd), expirySeconds, "Briefcase " + scope + " capability");
    byte[] tokenId = new byte[32];
    random.nextBytes(tokenId);
    byte[] identifier = L402Identifier.of(added.paymentHash(), tokenId).encode();
    long validUntil = clock.instant().getEpochSecond() + VALID_SECONDS;
    Macaroon m =
        Macaroon.mint(
            rootKey(identifier),
            null,
            identifier,
            List.of(
                "services=" + scope + ":0",
                scope + "_capabilities=read",
                scope + "_valid_until=" + validUntil));
    return new Invoice(m.toBase64(), added.paymentRequest());
  }

  /** A checked credential, not yet spent. */
  record Paid(String tokenIdHex, Instant validUntil) {}

  /**
   * Checks a credential: format (402), macaroon chain and caveats, preimage (401), spent (402),
   * settled at the node (402). Nothing is recorded; {@link #spend} does that at the mint.
   */
  Paid check(String authorization) {
    L402Authorization auth;
    Macaroon macaroon;
    L402Identifier id;
    try {
      auth = L402Authorization.parse(authorization);
      macaroon = Macaroon.parseBase64(auth.macaroon());
      id = L402Identifier.parse(macaroon.identifier());
    } catch (L402Exception e) {
      throw new ProviderError(402, MALFORMED, "L402 credential malformed: " + e.code());
    }
    long now = clock.instant().getEpochSecond();
    long[] validUntil = {-1};
    try {
      macaroon.verify(rootKey(macaroon.identifier()), caveat -> satisfied(caveat, now, validUntil));
    } catch (L402Exception e) {
      throw new ProviderError(401, INVALID, "L402 macaroon refused: " + e.code());
    }
    if (validUntil[0] < 0) {
      throw new ProviderError(401, INVALID, "L402 macaroon has no validity caveat");
    }
    if (!Preimage.matches(auth.preimageHex(), id.paymentHash())) {
      throw new ProviderError(401, INVALID, "L402 preimage does not match the payment hash");
    }
    if (spent.isSpent(id.tokenIdHex())) {
      throw new ProviderError(402, USED, "L402 token already spent");
    }
    if (!node.settled(id.paymentHash())) {
      throw new ProviderError(402, NOT_SETTLED, "L402 invoice not settled at the node");
    }
    return new Paid(id.tokenIdHex(), Instant.ofEpochSecond(validUntil[0]));
  }

  /** Records the token as spent; false when another request spent it first. */
  boolean spend(Paid paid) {
    return spent.spend(paid.tokenIdHex(), paid.validUntil().plusSeconds(3600));
  }

  private boolean satisfied(String caveat, long now, long[] validUntil) {
    int eq = caveat.indexOf('=');
    if (eq <= 0) {
      return false;
    }
    String name = caveat.substring(0, eq).trim();
    String value = caveat.substring(eq + 1).trim();
    if (name.equals("services")) {
      for (String service : value.split(",")) {
        if (service.trim().equals(scope + ":0")) {
          return true;
        }
      }
      return false;
    }
    if (name.equals(scope + "_capabilities")) {
      for (String capability : value.split(",")) {
        if (capability.trim().equals("read")) {
          return true;
        }
      }
      return false;
    }
    if (name.equals(scope + "_valid_until")) {
      if (!value.matches("[0-9]{1,12}")) {
        return false;
      }
      long until = Long.parseLong(value);
      // several validity caveats: the earliest binds (caveats only ever narrow)
      validUntil[0] = validUntil[0] < 0 ? until : Math.min(validUntil[0], until);
      return now < until;
    }
    return false;
  }

  private byte[] rootKey(byte[] identifier) {
    byte[] secret = rootSecret.get();
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(identifier);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    } finally {
      java.util.Arrays.fill(secret, (byte) 0);
    }
  }
}
