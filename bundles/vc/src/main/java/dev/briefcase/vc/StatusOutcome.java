package dev.briefcase.vc;

/** What a status list says about one status entry (SPEC §8.4). */
public enum StatusOutcome {
  /** The entry's value is 0. */
  VALID,
  /** Purpose {@code revocation}, value 1. */
  REVOKED,
  /** Any other non-zero value (a suspension, say). */
  INVALID,
  /** The list's purpose is not the entry's, or the index lies outside the list. */
  UNKNOWN;

  /** The outcome of {@code entry} in a verified {@code list}. */
  public static StatusOutcome of(StatusEntry entry, StatusListCredential.Verified list) {
    if (!entry.statusPurpose().equals(list.statusPurpose())) {
      return UNKNOWN;
    }
    long value;
    try {
      value = list.list().get(entry.statusListIndex(), entry.statusSize());
    } catch (VcException e) {
      return UNKNOWN;
    }
    if (value == 0) {
      return VALID;
    }
    return StatusEntry.REVOCATION.equals(entry.statusPurpose()) && value == 1 ? REVOKED : INVALID;
  }
}
