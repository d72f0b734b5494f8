package dev.briefcase.console.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.budgets.Budget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
  public void argsWarningNamesWhatThePreviewLeavesOut() throws Exception {
    ObjectMapper m = new ObjectMapper();
    assertEquals("", ApprovalsPage.argsWarning(m.readTree("{\"args_truncated\":false}")));
    String cut = ApprovalsPage.argsWarning(m.readTree("{\"args_truncated\":true}"));
    assertTrue(cut, cut.startsWith("WARNING: ") && cut.contains("args_truncated"));
    String red = ApprovalsPage.argsWarning(m.readTree("{\"args_redacted\":true}"));
    assertTrue(red, red.contains("[REDACTED]") && !red.contains("args_truncated"));
  }

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
    assertTrue(Csrf.sameOrigin(null, 8766, null));
    assertTrue(Csrf.sameOrigin("http://127.0.0.1:8766", 8766, "same-origin"));
    assertTrue(Csrf.sameOrigin("http://localhost:8766", 8766, null));
    assertTrue(Csrf.sameOrigin("http://[::1]:8766", 8766, null));
    assertFalse(Csrf.sameOrigin("http://evil.example", 8766, null));
    // a rebinding page sends its own name in Origin and Host alike: Host is not the reference
    assertFalse(Csrf.sameOrigin("http://evil.example:8766", 8766, null));
    assertFalse(Csrf.sameOrigin("http://127.0.0.1:9999", 8766, null));
    assertFalse(Csrf.sameOrigin("https://127.0.0.1:8766", 8766, null));
    assertFalse(Csrf.sameOrigin("http://127.0.0.1", 8766, null));
    assertFalse(Csrf.sameOrigin("null", 8766, null));
    assertFalse(Csrf.sameOrigin(null, 8766, "cross-site"));
  }

  @Test
  public void credentialsFromFileAndHash() throws Exception {
    Path dir = Files.createTempDirectory("console-creds");
    Path file = dir.resolve("console_password");
    try {
      Credentials.load("admin", file);
      fail("a missing file has no default password");
    } catch (java.io.IOException expected) {
      // no default
    }

    write(file, "s3cret-Passw0rd\n");
    Credentials plain = Credentials.load("operator", file);
    assertFalse(plain.usingDefault());
    assertTrue(plain.matches("operator", "s3cret-Passw0rd"));
    assertFalse(plain.matches("operator", "admin"));
    assertFalse(plain.matches("admin", "s3cret-Passw0rd"));
    assertFalse(plain.matches(null, null));

    String hash = Base64.getEncoder().encodeToString(Credentials.sha256("hashed pass"));
    write(file, "{sha-256}" + hash);
    Credentials hashed = Credentials.load("op", file);
    assertTrue(hashed.matches("op", "hashed pass"));

    write(file, "admin");
    assertTrue(
        "admin written to the file is still the default",
        Credentials.load("x", file).usingDefault());
  }

  @Test
  public void generatedPasswordIsRandomPrivateAndNeverReplaced() throws Exception {
    Path file = Files.createTempDirectory("console-gen").resolve("console_password");
    assertTrue(Credentials.generate(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String first = Files.readString(file).strip();
    assertTrue(first, first.length() >= 24);
    assertFalse(Credentials.load("admin", file).usingDefault());
    assertTrue(Credentials.load("admin", file).matches("admin", first));
    assertFalse("an existing file is kept", Credentials.generate(file));
    assertEquals(first, Files.readString(file).strip());
    try (var listing = Files.list(file.getParent())) {
      assertEquals("no temporary file left", 1, listing.count());
    }
  }

  @Test
  public void aPasswordFileOthersCanReadIsRefused() throws Exception {
    Path file = Files.createTempDirectory("console-perm").resolve("console_password");
    Files.writeString(file, "s3cret-Passw0rd\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try {
      Credentials.load("admin", file);
      fail("a 0644 password file was used");
    } catch (java.io.IOException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("token_file_permissions: " + file));
    }
  }

  private static void write(Path file, String text) throws Exception {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text);
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

  private static dev.briefcase.payment.PaymentRecord payment(
      String day, String rail, long amount, String state) {
    java.time.Instant t = java.time.Instant.parse(day + "T10:00:00Z");
    return new dev.briefcase.payment.PaymentRecord(
        java.util.UUID.randomUUID().toString(),
        t,
        t,
        day,
        "req",
        "quote",
        "http://127.0.0.1:9099",
        rail,
        amount,
        "d",
        java.util.Map.of("network", "eip155:8453"),
        state,
        null,
        "0xabc",
        1);
  }

  @Test
  public void paymentChartStacksRailsPerDayAndCountsOnlyMoneyThatLeft() {
    List<dev.briefcase.payment.PaymentRecord> rows =
        List.of(
            payment("2026-12-07", "x402", 1_000_000, "settled"),
            payment("2026-12-07", "l402", 1_000_000, "paid"),
            payment("2026-12-08", "x402", 500_000, "settled"),
            payment("2026-12-08", "x402", 9_000_000, "failed"),
            payment("2026-12-08", "<script>", 500_000, "rejected"));
    var days = PaymentChart.byDayAndRail(rows);
    assertEquals(2, days.size());
    assertEquals(Long.valueOf(1_000_000), days.get("2026-12-07").get("l402"));
    assertEquals(Long.valueOf(500_000), days.get("2026-12-08").get("x402"));
    String svg = PaymentChart.svg(rows);
    assertTrue(svg.startsWith("<svg"));
    assertFalse(svg.contains("<script"));
    // the busiest day (2 USD) fills the 160 px plot; its two rails are 80 px each
    assertTrue(svg, svg.contains("height=\"80\""));
    assertTrue(svg, svg.contains("2026-12-08 x402: 0.5 USD"));
    assertFalse(svg.replace("http://www.w3.org/2000/svg", "").contains("http"));
    assertTrue(PaymentChart.svg(List.of()).contains("No payments yet"));
    String table = PaymentsPage.table(rows);
    assertFalse(table, table.contains("<script"));
    assertTrue(table, table.contains("0xabc"));
  }
}
