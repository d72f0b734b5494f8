package dev.briefcase.store.internal;

import dev.briefcase.store.Durability;
import dev.briefcase.store.SqlWork;
import dev.briefcase.store.Store;
import dev.briefcase.store.StoreException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteException;

/**
 * The {@link Store} on one embedded SQLite file in WAL mode with {@code synchronous=FULL}: a write
 * that returned is durable even against power loss.
 *
 * <p>One writer connection behind a lock serializes writes; each runs in a {@code BEGIN IMMEDIATE}
 * transaction, committed when the work returns and rolled back when it throws. A {@link
 * SQLException} becomes a {@link StoreException} whose message names only the SQLite result code;
 * any other exception from the work is rethrown unchanged after the rollback. Work must not manage
 * transactions itself, and a write must not start another write on the same thread.
 *
 * <p>A small pool of read-only connections serves reads concurrently; each read runs in its own
 * read transaction, so it sees one committed snapshot. A read started inside a write does not see
 * that write's uncommitted rows.
 *
 * <p>After {@link #close()} every call throws {@code StoreException("store closed")}.
 */
@Component(service = Store.class, configurationPid = SqliteStore.PID)
@Designate(ocd = SqliteStore.Config.class)
public final class SqliteStore implements Store {

  /** The configuration PID. */
  public static final String PID = "dev.briefcase.store";

  /** The framework property naming the data directory. */
  public static final String DATA_DIR_PROPERTY = "briefcase.data.dir";

  /** The database file name inside the data directory. */
  public static final String DEFAULT_FILE = "briefcase.db";

  /** Default size of the read connection pool. */
  public static final int DEFAULT_READ_CONNECTIONS = 4;

  /** Default SQLite busy timeout in milliseconds. */
  public static final int DEFAULT_BUSY_TIMEOUT_MS = 5000;

  private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);
  private static final long READ_WAIT_SECONDS = 30;
  private static final long CLOSE_WAIT_SECONDS = 30;
  private static final int MAX_OWNER_LENGTH = 64;
  private static final Set<PosixFilePermission> DIR_PERMISSIONS =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE_PERMISSIONS =
      PosixFilePermissions.fromString("rw-------");

  /** Configuration of the store. */
  @ObjectClassDefinition(
      name = "Briefcase store",
      description = "The kernel's embedded SQLite database (WAL, synchronous=FULL).")
  public @interface Config {
    @AttributeDefinition(
        name = "Database file",
        description =
            "Path of the SQLite file. Empty means briefcase.db in the data directory (framework"
                + " property briefcase.data.dir); a relative path is resolved against that"
                + " directory.")
    String path() default "";

    @AttributeDefinition(
        name = "Read connections",
        description = "How many read-only connections serve concurrent reads (1 to 64).",
        min = "1",
        max = "64")
    int read_connections() default DEFAULT_READ_CONNECTIONS;

    @AttributeDefinition(
        name = "Busy timeout (ms)",
        description =
            "How long a statement waits for a lock held by another connection before it fails.",
        min = "0")
    int busy_timeout_ms() default DEFAULT_BUSY_TIMEOUT_MS;
  }

  private final Path file;
  private final int busyTimeoutMs;
  // Lifecycle gate: every call holds the read side; close() takes the write side so it waits for
  // calls in flight before closing their connections.
  private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final List<Connection> readers = new ArrayList<>();
  private final BlockingQueue<Connection> idleReaders;
  private volatile boolean closed;
  private Connection writer;
  // writer-only, guarded by writeLock: prepared once, not per transaction
  private PreparedStatement beginImmediate;
  private PreparedStatement commit;
  private Durability writerDurability = Durability.FULL;

  /** Activates from the component configuration and the framework's data directory. */
  @Activate
  public SqliteStore(BundleContext context, Config config) {
    this(
        resolve(config.path(), context.getProperty(DATA_DIR_PROPERTY)),
        config.read_connections(),
        config.busy_timeout_ms());
  }

  /** Opens the store on {@code file} with default pool size and busy timeout (tests, tools). */
  public SqliteStore(Path file) {
    this(file, DEFAULT_READ_CONNECTIONS, DEFAULT_BUSY_TIMEOUT_MS);
  }

  /**
   * Opens the store on {@code file}, creating its directory (0700) and the file (0600) when they
   * are missing.
   *
   * @throws StoreException when the database cannot be opened
   */
  public SqliteStore(Path file, int readConnections, int busyTimeoutMs) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
    this.busyTimeoutMs = Math.max(0, busyTimeoutMs);
    int poolSize = Math.min(64, Math.max(1, readConnections));
    this.idleReaders = new ArrayBlockingQueue<>(poolSize);
    try {
      prepareFiles(this.file);
      writer = openWriter();
      beginImmediate = writer.prepareStatement("BEGIN IMMEDIATE");
      commit = writer.prepareStatement("COMMIT");
      try (Statement st = writer.createStatement()) {
        st.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions("
                + "owner TEXT PRIMARY KEY, version INTEGER NOT NULL)");
      }
      for (int i = 0; i < poolSize; i++) {
        Connection reader = openReader();
        readers.add(reader);
        idleReaders.add(reader);
      }
    } catch (IOException | SQLException e) {
      closeAll();
      throw new StoreException("cannot open store at " + this.file + ": " + describe(e), e);
    }
    LOG.info("store opened at {} with {} read connections", this.file, poolSize);
  }

  /** The database file this store uses. */
  public Path file() {
    return file;
  }

  static Path resolve(String path, String dataDir) {
    boolean hasDataDir = dataDir != null && !dataDir.isBlank();
    if (path != null && !path.isBlank()) {
      Path configured = Path.of(path.strip());
      if (configured.isAbsolute() || !hasDataDir) {
        return configured.toAbsolutePath();
      }
      return Path.of(dataDir.strip()).resolve(configured).toAbsolutePath();
    }
    if (!hasDataDir) {
      throw new IllegalStateException(
          "no database location: the framework property "
              + DATA_DIR_PROPERTY
              + " is not set and "
              + PID
              + " has no path");
    }
    return Path.of(dataDir.strip(), DEFAULT_FILE).toAbsolutePath();
  }

  private static void prepareFiles(Path file) throws IOException {
    Path dir = file.getParent();
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (dir != null && !Files.isDirectory(dir)) {
      if (posix) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_PERMISSIONS));
        // the umask may have narrowed or the attribute may not apply to every level: set it
        Files.setPosixFilePermissions(dir, DIR_PERMISSIONS);
      } else {
        Files.createDirectories(dir);
      }
      LOG.info("created data directory {}", dir);
    }
    if (!Files.exists(file)) {
      if (posix) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_PERMISSIONS));
        Files.setPosixFilePermissions(file, FILE_PERMISSIONS);
      } else {
        Files.createFile(file);
      }
    } else if (posix) {
      Set<PosixFilePermission> current = Files.getPosixFilePermissions(file);
      if (!FILE_PERMISSIONS.containsAll(current)) {
        // the database holds receipts and state: nobody but the owner reads it
        Set<PosixFilePermission> narrowed = EnumSet.copyOf(current);
        narrowed.retainAll(FILE_PERMISSIONS);
        Files.setPosixFilePermissions(file, narrowed);
        LOG.warn("narrowed permissions of {} to owner-only", file);
      }
    }
  }

  private Connection openWriter() throws SQLException {
    SQLiteConfig config = baseConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    // FULL: in WAL mode every commit syncs the WAL, so a returned write survives power loss
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    return open(config);
  }

  private Connection openReader() throws SQLException {
    SQLiteConfig config = baseConfig();
    config.setReadOnly(true);
    return open(config);
  }

  private SQLiteConfig baseConfig() {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(busyTimeoutMs);
    config.enforceForeignKeys(true);
    return config;
  }

  private Connection open(SQLiteConfig config) throws SQLException {
    // a DataSource, not DriverManager: DriverManager cannot see drivers inside other bundles
    SQLiteDataSource source = new SQLiteDataSource(config);
    source.setUrl("jdbc:sqlite:" + file);
    return source.getConnection();
  }

  @Override
  public void migrate(String owner, List<String> steps) {
    requireOwner(owner);
    Objects.requireNonNull(steps, "steps");
    // parse every step first so a malformed script changes nothing
    List<List<String>> scripts = new ArrayList<>(steps.size());
    for (String step : steps) {
      scripts.add(SqlScript.split(Objects.requireNonNull(step, "step")));
    }
    for (int i = 0; i < scripts.size(); i++) {
      int step = i;
      List<String> statements = scripts.get(i);
      boolean ran =
          write(
              c -> {
                // checked inside the transaction so concurrent migrations run a step only once
                if (version(c, owner) > step) {
                  return false;
                }
                try (Statement st = c.createStatement()) {
                  for (String sql : statements) {
                    st.execute(sql);
                  }
                } catch (SQLException e) {
                  throw new StoreException(
                      "migration " + owner + " step " + (step + 1) + " failed: " + describe(e), e);
                }
                setVersion(c, owner, step + 1);
                return true;
              });
      if (ran) {
        LOG.info("store: {} migrated to version {}", owner, step + 1);
      }
    }
    int recorded = schemaVersion(owner);
    if (recorded > scripts.size()) {
      LOG.warn(
          "store: {} is at version {} but this code knows {} steps; newer tables are kept",
          owner,
          recorded,
          scripts.size());
    }
  }

  @Override
  public int schemaVersion(String owner) {
    requireOwner(owner);
    return read(c -> version(c, owner));
  }

  private static int version(Connection c, String owner) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT version FROM schema_versions WHERE owner = ?")) {
      ps.setString(1, owner);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  private static void setVersion(Connection c, String owner, int version) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO schema_versions(owner, version) VALUES (?, ?)"
                + " ON CONFLICT(owner) DO UPDATE SET version = excluded.version")) {
      ps.setString(1, owner);
      ps.setInt(2, version);
      ps.executeUpdate();
    }
  }

  private static void requireOwner(String owner) {
    if (owner == null || owner.isBlank() || owner.length() > MAX_OWNER_LENGTH) {
      throw new IllegalArgumentException("owner must be 1 to 64 characters");
    }
  }

  @Override
  public <T> T write(SqlWork<T> work) {
    return write(Durability.FULL, work);
  }

  /**
   * {@inheritDoc}
   *
   * <p>{@link Durability#PROCESS} commits with {@code synchronous=NORMAL} (in WAL mode: no sync at
   * commit, the WAL is synced at checkpoints), {@link Durability#FULL} with {@code
   * synchronous=FULL}. The writer connection switches only when the durability differs from the
   * last write's, and a later full commit syncs the relaxed commits before it too.
   */
  @Override
  public <T> T write(Durability durability, SqlWork<T> work) {
    Objects.requireNonNull(durability, "durability");
    Objects.requireNonNull(work, "work");
    enter();
    try {
      if (writeLock.isHeldByCurrentThread()) {
        throw new StoreException("nested write transaction", null);
      }
      writeLock.lock();
      try {
        useDurability(durability);
        return inTransaction(writer, beginImmediate::execute, commit::execute, work, "write");
      } finally {
        writeLock.unlock();
      }
    } finally {
      gate.readLock().unlock();
    }
  }

  // The pragma cannot change inside a transaction, so it is set before BEGIN.
  private void useDurability(Durability durability) {
    if (durability == writerDurability) {
      return;
    }
    String level = durability == Durability.PROCESS ? "NORMAL" : "FULL";
    try (Statement st = writer.createStatement()) {
      st.execute("PRAGMA synchronous = " + level);
    } catch (SQLException e) {
      // the writer's level is unknown now: the next write of either kind sets it again
      writerDurability = null;
      throw new StoreException("cannot set write durability: " + describe(e), e);
    }
    writerDurability = durability;
  }

  @Override
  public <T> T read(SqlWork<T> work) {
    Objects.requireNonNull(work, "work");
    enter();
    try {
      Connection reader = takeReader();
      try {
        return inTransaction(reader, work);
      } finally {
        idleReaders.add(reader);
      }
    } finally {
      gate.readLock().unlock();
    }
  }

  private Connection takeReader() {
    try {
      Connection reader = idleReaders.poll(READ_WAIT_SECONDS, TimeUnit.SECONDS);
      if (reader == null) {
        throw new StoreException("no read connection became free", null);
      }
      return reader;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for a read connection", e);
    }
  }

  /** One statement that begins or ends a transaction. */
  @FunctionalInterface
  private interface TransactionStep {
    void run() throws SQLException;
  }

  private <T> T inTransaction(Connection reader, SqlWork<T> work) {
    return inTransaction(
        reader, () -> execute(reader, "BEGIN"), () -> execute(reader, "COMMIT"), work, "read");
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private <T> T inTransaction(
      Connection c, TransactionStep begin, TransactionStep commit, SqlWork<T> work, String kind) {
    try {
      begin.run();
    } catch (SQLException e) {
      throw new StoreException("cannot begin " + kind + " transaction: " + describe(e), e);
    }
    boolean committed = false;
    try {
      T result = work.run(c);
      commit.run();
      committed = true;
      return result;
    } catch (SQLException e) {
      throw new StoreException(kind + " transaction failed: " + describe(e), e);
    } finally {
      if (!committed) {
        rollback(c);
      }
    }
  }

  private static void rollback(Connection c) {
    try (Statement st = c.createStatement()) {
      st.execute("ROLLBACK");
    } catch (SQLException e) {
      // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL)
      LOG.debug("rollback failed: {}", describe(e));
    }
  }

  private void enter() {
    if (closed) {
      throw closedException();
    }
    gate.readLock().lock();
    if (closed) {
      gate.readLock().unlock();
      throw closedException();
    }
  }

  private static StoreException closedException() {
    return new StoreException("store closed", null);
  }

  /** Closes every connection; later calls throw {@code StoreException("store closed")}. */
  @Deactivate
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean drained = false;
    try {
      drained = gate.writeLock().tryLock(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
      if (!drained) {
        LOG.warn("store calls still running after {} s; closing anyway", CLOSE_WAIT_SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      closeAll();
    } finally {
      if (drained) {
        gate.writeLock().unlock();
      }
    }
    LOG.info("store closed at {}", file);
  }

  private void closeAll() {
    closeQuietly(writer);
    for (Connection reader : readers) {
      closeQuietly(reader);
    }
    idleReaders.clear();
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("closing a connection failed: {}", describe(e));
    }
  }

  /** A row-free description of a failure: the SQLite result code or the exception type. */
  static String describe(Exception e) {
    if (e instanceof SQLiteException se) {
      return se.getResultCode().name();
    }
    if (e instanceof SQLException se) {
      return "SQLState " + se.getSQLState() + " code " + se.getErrorCode();
    }
    return e.getClass().getSimpleName();
  }
}
