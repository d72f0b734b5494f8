package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/**
 * The demo quote: deterministic per symbol and minute ({@code price} from SHA-256 of the symbol,
 * 1.00..1000.99 USD), {@code {symbol, price, currency, as_of}}. Symbols are 1..10 upper-case ASCII
 * letters, else {@code invalid_symbol}.
 */
final class Quotes {
  static final Pattern SYMBOL = Pattern.compile("[A-Z]{1,10}");

  private Quotes() {}

  static ObjectNode quote(String symbol, Instant now) {
    if (symbol == null || !SYMBOL.matcher(symbol).matches()) {
      throw new ProviderError(400, "invalid_symbol", "symbol must be 1..10 letters A-Z");
    }
    byte[] h;
    try {
      h = MessageDigest.getInstance("SHA-256").digest(symbol.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long cents = 100 + (((h[0] & 0xffL) << 16 | (h[1] & 0xffL) << 8 | (h[2] & 0xffL)) % 100_000);
    return Json.newObject()
        .put("symbol", symbol)
        .put("price", BigDecimal.valueOf(cents, 2).setScale(2, RoundingMode.UNNECESSARY))
        .put("currency", "USD")
        .put("as_of", now.truncatedTo(ChronoUnit.MINUTES).toString());
  }
}
