package dev.briefcase.receipts.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committer's insert and head statements, prepared once per write connection instead of once
 * per group commit. The store hands every write the same writer connection, so they are prepared
 * again only when a different connection arrives. Used by the committer thread only.
 */
final class AppendStatements implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AppendStatements.class);

  private final String insertSql;
  private final String lastSql;
  private Connection preparedOn;
  private PreparedStatement insert;
  private PreparedStatement last;

  AppendStatements(String insertSql, String lastSql) {
    this.insertSql = insertSql;
    this.lastSql = lastSql;
  }

  /** Makes the statements belong to {@code c}, preparing them when they belong to another. */
  void use(Connection c) throws SQLException {
    if (c == preparedOn && !insert.isClosed() && !last.isClosed()) {
      return;
    }
    close();
    insert = c.prepareStatement(insertSql);
    last = c.prepareStatement(lastSql);
    preparedOn = c;
  }

  PreparedStatement insert() {
    return insert;
  }

  PreparedStatement last() {
    return last;
  }

  @Override
  public void close() {
    closeQuietly(insert);
    closeQuietly(last);
    insert = null;
    last = null;
    preparedOn = null;
  }

  private static void closeQuietly(PreparedStatement ps) {
    if (ps == null) {
      return;
    }
    try {
      ps.close();
    } catch (SQLException e) {
      LOG.debug("closing a receipt statement failed: {}", e.toString());
    }
  }
}
