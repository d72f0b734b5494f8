package dev.briefcase.store.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.briefcase.store.Durability;
import dev.briefcase.store.StoreException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class SqliteStoreTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path file;
  private SqliteStore store;

  @Before
  public void open() throws Exception {
    file = tmp.getRoot().toPath().resolve("data").resolve("briefcase.db");
    store = new SqliteStore(file);
  }

  @After
  public void close() {
    store.close();
  }

  private long count(String table) {
    return store.read(
        c -> {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  private boolean tableExists(String table) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  @Test
  public void pragmasAreSetForDurability() {
    String journal =
        store.write(
            c -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
                rs.next();
                return rs.getString(1);
              }
            });
    int sync =
        store.write(
            c -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
                rs.next();
                return rs.getInt(1);
              }
            });
    int foreignKeys =
        store.write(
            c -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("PRAGMA foreign_keys")) {
                rs.next();
                return rs.getInt(1);
              }
            });
    assertEquals("wal", journal.toLowerCase());
    assertEquals(2, sync); // FULL
    assertEquals(1, foreignKeys);
  }

  private static int synchronous(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  public void processDurabilityCommitsWithNormalSyncAndFullComesBack() {
    assertEquals(1, (int) store.write(Durability.PROCESS, SqliteStoreTest::synchronous)); // NORMAL
    assertEquals(1, (int) store.write(Durability.PROCESS, SqliteStoreTest::synchronous));
    assertEquals(2, (int) store.write(SqliteStoreTest::synchronous)); // FULL again
    assertEquals(1, (int) store.write(Durability.PROCESS, SqliteStoreTest::synchronous));
    assertEquals(2, (int) store.write(Durability.FULL, SqliteStoreTest::synchronous));
  }

  @Test
  public void processDurabilityWriteStillRollsBack() {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT)"));
    assertThrows(
        IllegalStateException.class,
        () ->
            store.write(
                Durability.PROCESS,
                c -> {
                  try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO t VALUES ('gone')");
                  }
                  throw new IllegalStateException("boom");
                }));
    store.write(
        Durability.PROCESS,
        c -> {
          try (Statement st = c.createStatement()) {
            return st.executeUpdate("INSERT INTO t VALUES ('kept')");
          }
        });
    List<String> rows =
        store.read(
            c -> {
              List<String> out = new ArrayList<>();
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT x FROM t")) {
                while (rs.next()) {
                  out.add(rs.getString(1));
                }
              }
              return out;
            });
    assertEquals(List.of("kept"), rows);
  }

  @Test
  public void migrationsAreVersionedAndIdempotent() {
    List<String> steps =
        List.of(
            "CREATE TABLE t(x TEXT); -- a comment; with a semicolon\n"
                + "INSERT INTO t VALUES ('a;b'); /* block; comment */ INSERT INTO t VALUES ('it''s')",
            "ALTER TABLE t ADD COLUMN y INTEGER");
    assertEquals(0, store.schemaVersion("demo"));
    store.migrate("demo", steps);
    assertEquals(2, store.schemaVersion("demo"));
    assertEquals(2, count("t"));
    store.migrate("demo", steps);
    store.migrate("demo", steps);
    assertEquals(2, store.schemaVersion("demo"));
    assertEquals("steps must not run again", 2, count("t"));
    String values =
        store.read(
            c -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT group_concat(x, '|') FROM t")) {
                rs.next();
                return rs.getString(1);
              }
            });
    assertEquals("a;b|it's", values);
    assertEquals("owners are independent", 0, store.schemaVersion("other"));
  }

  @Test
  public void oldDatabaseMigratesForward() {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('v1')"));
    assertEquals(1, store.schemaVersion("demo"));
    store.close();

    store = new SqliteStore(file);
    assertEquals(1, store.schemaVersion("demo"));
    store.migrate(
        "demo",
        List.of(
            "CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('v1')",
            "CREATE TABLE u(y TEXT); INSERT INTO u VALUES ('v2')"));
    assertEquals(2, store.schemaVersion("demo"));
    assertEquals(1, count("t"));
    assertEquals(1, count("u"));
  }

  @Test
  public void failedStepRollsBackAndKeepsVersion() {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT)"));
    StoreException e =
        assertThrows(
            StoreException.class,
            () ->
                store.migrate(
                    "demo",
                    List.of("CREATE TABLE t(x TEXT)", "CREATE TABLE u(y TEXT); NOT SQL AT ALL")));
    assertTrue(e.getMessage(), e.getMessage().contains("demo step 2"));
    assertEquals(1, store.schemaVersion("demo"));
    assertFalse("the step's first statement is rolled back", tableExists("u"));
  }

  @Test
  public void writeRollsBackOnException() {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT PRIMARY KEY)"));
    IllegalStateException thrown = new IllegalStateException("boom");
    IllegalStateException seen =
        assertThrows(
            IllegalStateException.class,
            () ->
                store.write(
                    c -> {
                      try (Statement st = c.createStatement()) {
                        st.execute("INSERT INTO t VALUES ('first')");
                      }
                      throw thrown;
                    }));
    assertSame("the work's own exception passes through", thrown, seen);
    assertEquals(0, count("t"));

    store.write(
        c -> {
          try (Statement st = c.createStatement()) {
            return st.executeUpdate("INSERT INTO t VALUES ('secret-row-value')");
          }
        });
    StoreException e =
        assertThrows(
            StoreException.class,
            () ->
                store.write(
                    c -> {
                      try (Statement st = c.createStatement()) {
                        st.execute("INSERT INTO t VALUES ('other')");
                        st.execute("INSERT INTO t VALUES ('secret-row-value')");
                      }
                      return null;
                    }));
    assertFalse(e.getMessage(), e.getMessage().contains("secret-row-value"));
    assertTrue(e.getMessage(), e.getMessage().contains("CONSTRAINT"));
    assertEquals("the whole transaction rolled back", 1, count("t"));
    // the writer is usable afterwards
    store.write(
        c -> {
          try (Statement st = c.createStatement()) {
            return st.executeUpdate("INSERT INTO t VALUES ('after')");
          }
        });
    assertEquals(2, count("t"));
  }

  @Test
  public void nestedWriteIsRefused() {
    assertThrows(StoreException.class, () -> store.write(c -> store.write(c2 -> 1)));
  }

  @Test
  public void readConnectionsAreReadOnly() {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT)"));
    assertThrows(
        StoreException.class,
        () ->
            store.read(
                c -> {
                  try (Statement st = c.createStatement()) {
                    return st.executeUpdate("INSERT INTO t VALUES ('x')");
                  }
                }));
    assertEquals(0, count("t"));
  }

  @Test
  public void concurrentWritesAllLand() throws Exception {
    store.migrate(
        "demo",
        List.of(
            "CREATE TABLE t(thread INTEGER, n INTEGER);"
                + "CREATE TABLE counter(n INTEGER); INSERT INTO counter VALUES (0)"));
    int threads = 8;
    int perThread = 50;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                  int n = i;
                  store.write(
                      c -> {
                        // read-modify-write: only serialized transactions keep the count exact
                        long current;
                        try (Statement st = c.createStatement();
                            ResultSet rs = st.executeQuery("SELECT n FROM counter")) {
                          rs.next();
                          current = rs.getLong(1);
                        }
                        try (PreparedStatement ps =
                            c.prepareStatement("UPDATE counter SET n = ?")) {
                          ps.setLong(1, current + 1);
                          ps.executeUpdate();
                        }
                        try (PreparedStatement ps =
                            c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                          ps.setInt(1, thread);
                          ps.setInt(2, n);
                          return ps.executeUpdate();
                        }
                      });
                  // reads interleave with writes
                  count("t");
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertEquals(threads * perThread, count("t"));
    long counter =
        store.read(
            c -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT n FROM counter")) {
                rs.next();
                return rs.getLong(1);
              }
            });
    assertEquals(threads * perThread, counter);
  }

  @Test
  public void readSeesOnlyCommittedData() throws Exception {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT)"));
    CountDownLatch inserted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<Integer> writing =
        pool.submit(
            () ->
                store.write(
                    c -> {
                      try (Statement st = c.createStatement()) {
                        st.execute("INSERT INTO t VALUES ('pending')");
                      }
                      inserted.countDown();
                      try {
                        release.await(30, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        throw new SQLException(e);
                      }
                      return 1;
                    }));
    assertTrue(inserted.await(30, TimeUnit.SECONDS));
    assertEquals("uncommitted rows are invisible to readers", 0, count("t"));
    release.countDown();
    assertEquals(Integer.valueOf(1), writing.get(30, TimeUnit.SECONDS));
    assertEquals("committed rows are visible", 1, count("t"));
    pool.shutdown();
  }

  @Test
  public void dataSurvivesReopen() {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT)"));
    store.write(
        c -> {
          try (Statement st = c.createStatement()) {
            return st.executeUpdate("INSERT INTO t VALUES ('kept')");
          }
        });
    store.close();
    store = new SqliteStore(file);
    assertEquals(1, count("t"));
  }

  @Test
  public void closedStoreFailsFast() {
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT)"));
    store.close();
    store.close(); // idempotent
    for (Runnable call :
        List.<Runnable>of(
            () -> store.write(c -> 1),
            () -> store.read(c -> 1),
            () -> store.migrate("demo", List.of("CREATE TABLE t(x TEXT)")),
            () -> store.schemaVersion("demo"))) {
      StoreException e = assertThrows(StoreException.class, call::run);
      assertEquals("store closed", e.getMessage());
    }
  }

  @Test
  public void filesAreOwnerOnly() throws Exception {
    Assume.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    store.migrate("demo", List.of("CREATE TABLE t(x TEXT)"));
    store.write(
        c -> {
          try (Statement st = c.createStatement()) {
            return st.executeUpdate("INSERT INTO t VALUES ('x')");
          }
        });
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Path wal = file.resolveSibling(file.getFileName() + "-wal");
    assertTrue("WAL mode keeps a -wal file", Files.exists(wal));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(wal)));
  }

  @Test
  public void existingFileIsNarrowedToOwnerOnly() throws Exception {
    Assume.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path other = tmp.getRoot().toPath().resolve("loose.db");
    Files.createFile(other);
    Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-rw-r--"));
    new SqliteStore(other).close();
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(other)));
  }

  @Test
  public void locationComesFromConfigOrDataDir() {
    assertEquals(Path.of("/srv/bc/briefcase.db"), SqliteStore.resolve("", "/srv/bc"));
    assertEquals(Path.of("/srv/bc/x/y.db"), SqliteStore.resolve("x/y.db", "/srv/bc"));
    assertEquals(Path.of("/abs/z.db"), SqliteStore.resolve("/abs/z.db", "/srv/bc"));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> SqliteStore.resolve("", null));
    assertTrue(e.getMessage().contains("briefcase.data.dir"));
    assertThrows(IllegalStateException.class, () -> SqliteStore.resolve(" ", " "));
  }

  @Test
  public void badOwnerIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> store.migrate("", List.of()));
    assertThrows(IllegalArgumentException.class, () -> store.schemaVersion(null));
  }
}
