package dev.briefcase.console.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.briefcase.budgets.Budget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.junit.Test;

/** Escaping, CSRF tokens, credentials and the budget chart, without a framework. */
public class ConsoleUnitTest {

  @Test
  public void htmlEscapesMarkupQuotesAndTemplateVariables() {
    String evil = "<img src=x onerror=alert(1)>\"'&${title}";
    String text = Html.text(evil);
    String attr = Html.attr(evil);
    for (String s : List.of(text, attr)) {
      assertFalse(s, s.contains("<"));
      assertFalse(s, s.contains("${"));
    }
    assertFalse(attr, attr.contains("\""));
    assertFalse(attr, attr.contains("'"));
    assertEquals("", Html.text(null));
  }

  @Test
  public void csrfTokensAreBoundToUserAndTime() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    Csrf csrf = new Csrf(Clock.fixed(t0, ZoneOffset.UTC));
    String token = csrf.issue("alice");
    assertTrue(csrf.valid("alice", token));
    assertFalse(csrf.valid("bob", token));
    assertFalse(csrf.valid("alice", null));
    assertFalse(csrf.valid("alice", ""));
    assertFalse(csrf.valid("alice", "1.abc"));
    assertFalse(csrf.valid("alice", token + "x"));
    // another process (another key) never accepts it
    assertFalse(new Csrf(Clock.fixed(t0, ZoneOffset.UTC)).valid("alice", token));
    Csrf later =
        new Csrf(
            Clock.fixed(t0.plus(Duration.ofSeconds(Csrf.MAX_AGE_SECONDS + 1)), ZoneOffset.UTC));
    assertFalse(
        later.valid("alice", later.issue("alice").replaceFirst("^\\d+", "" + t0.getEpochSecond())));
  }

  @Test
  public void sameOriginRules() {
    assertTrue(Csrf.sameOrigin(null, "127.0.0.1:8766", null));
    assertTrue(Csrf.sameOrigin("http://127.0.0.1:8766", "127.0.0.1:8766", "same-origin"));
    assertFalse(Csrf.sameOrigin("http://evil.example", "127.0.0.1:8766", null));
    assertFalse(Csrf.sameOrigin("http://127.0.0.1:9999", "127.0.0.1:8766", null));
    assertFalse(Csrf.sameOrigin("null", "127.0.0.1:8766", null));
    assertFalse(Csrf.sameOrigin(null, "127.0.0.1:8766", "cross-site"));
  }

  @Test
  public void credentialsFromFileDefaultAndHash() throws Exception {
    Path dir = Files.createTempDirectory("console-creds");
    Path file = dir.resolve("console_password");
    Credentials missing = Credentials.load("admin", file);
    assertTrue(missing.usingDefault());
    assertTrue(missing.matches("admin", "admin"));

    Files.writeString(file, "s3cret-Passw0rd\n");
    Credentials plain = Credentials.load("operator", file);
    assertFalse(plain.usingDefault());
    assertTrue(plain.matches("operator", "s3cret-Passw0rd"));
    assertFalse(plain.matches("operator", "admin"));
    assertFalse(plain.matches("admin", "s3cret-Passw0rd"));
    assertFalse(plain.matches(null, null));

    String hash = Base64.getEncoder().encodeToString(Credentials.sha256("hashed pass"));
    Files.writeString(file, "{sha-256}" + hash);
    Credentials hashed = Credentials.load("op", file);
    assertTrue(hashed.matches("op", "hashed pass"));

    Files.writeString(file, "admin");
    assertTrue(
        "admin written to the file is still the default",
        Credentials.load("x", file).usingDefault());
  }

  @Test
  public void basicHeaderAndLoopback() {
    String h =
        "Basic " + Base64.getEncoder().encodeToString("u:p:q".getBytes(StandardCharsets.UTF_8));
    assertArrayEquals(new String[] {"u", "p:q"}, ConsoleSecurity.basic(h));
    assertNull(ConsoleSecurity.basic("Bearer x"));
    assertNull(ConsoleSecurity.basic("Basic !!!"));
    assertNull(ConsoleSecurity.basic(null));
    assertTrue(ConsoleSecurity.loopback("127.0.0.1"));
    assertTrue(ConsoleSecurity.loopback("0:0:0:0:0:0:0:1"));
    assertFalse(ConsoleSecurity.loopback("10.0.0.5"));
    assertFalse(ConsoleSecurity.loopback(null));
  }

  @Test
  public void budgetChartIsInlineSvgWithEscapedNames() {
    String svg =
        BudgetChart.svg(
            List.of(
                new Budget("read", 5_000_000, 1_000_000),
                new Budget("<script>x</script>", 1_000_000, 2_000_000)));
    assertTrue(svg.startsWith("<svg"));
    assertFalse(svg.contains("<script"));
    assertFalse(
        svg.contains("http://")
            && svg.replace("http://www.w3.org/2000/svg", "").contains("http://"));
    assertTrue(svg, svg.contains("width=\"72\"")); // 1 of 5 USD on a 360 px bar
    assertTrue(svg, svg.contains("#c62828")); // over the limit: red, capped at full width
    assertTrue(svg, svg.contains("1 of 5 USD"));
  }
}
