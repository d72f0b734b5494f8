package dev.briefcase.store;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The kernel's embedded database (SQLite in WAL mode in the data directory). Writes run one at a
 * time in a transaction; reads run concurrently against the last committed state. Thread-safe.
 */
@ProviderType
public interface Store {

  /**
   * Brings one owner's tables up to date. Step {@code i} (0-based) runs once, in its own
   * transaction, when the owner's recorded version is {@code <= i}. Steps are only ever appended.
   *
   * @param owner a stable name, e.g. {@code receipts}
   * @param steps SQL scripts; each may hold several statements separated by {@code ;}
   */
  void migrate(String owner, List<String> steps) throws StoreException;

  /** Runs {@code work} in one write transaction, committed when it returns normally. */
  <T> T write(SqlWork<T> work) throws StoreException;

  /**
   * Runs {@code work} in one write transaction committed with the given durability; {@link
   * Durability#FULL} is {@link #write(SqlWork)}. A store that cannot relax durability commits
   * {@link Durability#PROCESS} writes fully, which is never less safe.
   */
  default <T> T write(Durability durability, SqlWork<T> work) throws StoreException {
    return write(work);
  }

  /** Runs {@code work} on a read-only connection. */
  <T> T read(SqlWork<T> work) throws StoreException;

  /** The version {@link #migrate} last recorded for an owner, 0 when none. */
  int schemaVersion(String owner) throws StoreException;
}
