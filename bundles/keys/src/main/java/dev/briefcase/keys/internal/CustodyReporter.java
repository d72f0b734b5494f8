package dev.briefcase.keys.internal;

import dev.briefcase.keys.CustodyReport;
import dev.briefcase.keys.KeyInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code key_custody} check: fails for any software-held role, no backend at all, or no
 * hardware backend for new keys (with {@code auto}, or {@code software} configured). Thread-safe.
 */
final class CustodyReporter {
  private final SignerDirectory signers;
  private final RoleTable roles;
  private final String configured;

  CustodyReporter(SignerDirectory signers, RoleTable roles, String configured) {
    this.signers = signers;
    this.roles = roles;
    this.configured = configured;
  }

  CustodyReport report() {
    List<CustodyReport.Backend> backends = new ArrayList<>();
    for (SignerBinding b : signers.autoOrder()) {
      backends.add(new CustodyReport.Backend(b.id(), b.hardwareBacked()));
    }
    List<CustodyReport.RoleCustody> rs = new ArrayList<>();
    List<String> soft = new ArrayList<>();
    for (KeyInfo k : roles.list()) {
      rs.add(
          new CustodyReport.RoleCustody(
              k.role(),
              k.handle().signerId(),
              k.handle().algorithm().name().toLowerCase(Locale.ROOT),
              k.hardwareBacked()));
      if (!k.hardwareBacked()) {
        soft.add(k.role());
      }
    }
    boolean anyHardware = backends.stream().anyMatch(CustodyReport.Backend::hardwareBacked);
    boolean ok;
    String detail;
    if (!soft.isEmpty()) {
      ok = false;
      detail = "software keys for " + String.join(", ", soft);
    } else if (backends.isEmpty()) {
      ok = false;
      detail = "no signer backend is available";
    } else if (rs.isEmpty() && "auto".equals(configured) && !anyHardware) {
      ok = false;
      detail = "no hardware backend: new keys would fall back to software";
    } else if (rs.isEmpty() && "software".equals(configured)) {
      ok = false;
      detail = "BRIEFCASE_KEY_BACKEND=software";
    } else {
      ok = true;
      detail = rs.isEmpty() ? "no keys yet; a hardware backend is available" : "hardware-backed";
    }
    return new CustodyReport(configured, ok, detail, rs, backends);
  }
}
