package dev.briefcase.store;

/** What a committed write survives once {@link Store#write(Durability, SqlWork)} returned. */
public enum Durability {
  /** A crash of the machine or a power loss: the commit was synced to the disk. The default. */
  FULL,
  /**
   * A crash of the process only: the commit reached the operating system, which may lose it with
   * the machine. Faster, because a commit waits for no disk sync.
   */
  PROCESS
}
