package dev.briefcase.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.osgi.annotation.versioning.ConsumerType;

/** Work on a JDBC connection the store owns; do not keep the connection after returning. */
@ConsumerType
@FunctionalInterface
public interface SqlWork<T> {
  T run(Connection connection) throws SQLException;
}
