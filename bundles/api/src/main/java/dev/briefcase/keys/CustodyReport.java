package dev.briefcase.keys;

import java.util.List;

/**
 * The {@code key_custody} security check (SPEC §12 Δ): which backend each role uses and whether
 * custody is acceptable. It fails when a role's key is in software (a fallback, or configured) or
 * when no backend is available.
 *
 * @param configuredBackend the {@code BRIEFCASE_KEY_BACKEND} setting ({@code auto} by default)
 * @param ok whether the check passes
 * @param detail one line saying why
 * @param roles one entry per bound role
 * @param backends the signer ids available now, hardware ones marked by {@link Backend}
 */
public record CustodyReport(
    String configuredBackend,
    boolean ok,
    String detail,
    List<RoleCustody> roles,
    List<Backend> backends) {
  public CustodyReport {
    roles = List.copyOf(roles);
    backends = List.copyOf(backends);
  }

  /** A role and the backend holding its key. */
  public record RoleCustody(
      String role, String backend, String algorithm, boolean hardwareBacked) {}

  /** A signer backend registered now. */
  public record Backend(String id, boolean hardwareBacked) {}
}
