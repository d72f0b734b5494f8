package dev.briefcase.policy.cedar.internal;

import dev.briefcase.store.SqlWork;
import dev.briefcase.store.Store;
import dev.briefcase.store.StoreException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A minimal {@link Store} over one in-memory SQLite connection, serialized by a lock. */
final class SqliteTestStore implements Store, AutoCloseable {

  private final Connection connection;
  private final Map<String, Integer> versions = new HashMap<>();
  int writes;
  boolean failWrites;

  SqliteTestStore() throws SQLException {
    connection = DriverManager.getConnection("jdbc:sqlite::memory:");
  }

  @Override
  public synchronized void migrate(String owner, List<String> steps) {
    for (int i = versions.getOrDefault(owner, 0); i < steps.size(); i++) {
      String script = steps.get(i);
      write(
          c -> {
            try (Statement s = c.createStatement()) {
              for (String sql : script.split(";")) {
                if (!sql.isBlank()) {
                  s.execute(sql);
                }
              }
            }
            return null;
          });
      versions.put(owner, i + 1);
    }
  }

  @Override
  public synchronized <T> T write(SqlWork<T> work) {
    if (failWrites) {
      throw new StoreException("disk full", null);
    }
    try {
      connection.setAutoCommit(false);
      try {
        T result = work.run(connection);
        connection.commit();
        writes++;
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new StoreException("write failed", e);
    }
  }

  @Override
  public synchronized <T> T read(SqlWork<T> work) {
    try {
      return work.run(connection);
    } catch (SQLException e) {
      throw new StoreException("read failed", e);
    }
  }

  @Override
  public synchronized int schemaVersion(String owner) {
    return versions.getOrDefault(owner, 0);
  }

  @Override
  public synchronized void close() throws SQLException {
    connection.close();
  }
}
