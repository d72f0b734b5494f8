package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.budgets.Budget;
import dev.briefcase.budgets.BudgetService;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Daily limits, spend and reservations per category (SPEC §5). Limits, every spend row and every
 * open reservation live in the store; today's totals are also kept in memory so the per-call gate
 * costs no query. The kernel is the only writer of its data directory, so the in-memory totals
 * cannot drift from the rows.
 *
 * <p>The gate and the reservation are one step ({@link #reserve}, under the ledger's monitor):
 * today's spend plus every open reservation plus the new amount must fit the limit, so N concurrent
 * calls can never all pass. The pipeline then {@link #settle settles} the reservation with the
 * actual cost (one transaction: the reservation row goes, the spend row comes) or {@link #release
 * releases} it when the call ends any other way. A reservation row left by a crash (kill -9 between
 * reserve and settle) is released when the ledger starts, with a {@code
 * budget_reservation_released} receipt and a WARN; nothing is released while the kernel runs, since
 * a call may still hold it. Thread-safe.
 */
@Component(service = {BudgetService.class, BudgetLedger.class})
public final class BudgetLedger implements BudgetService {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetLedger.class);
  static final Map<String, Long> SEEDS = Map.of("read", 3_000_000L, "write", 0L, "admin", 0L);
  private static final Pattern CATEGORY = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE budgets (category TEXT PRIMARY KEY, daily_limit_microusd INTEGER NOT NULL);"
              + " CREATE TABLE spend (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, day TEXT NOT"
              + " NULL, category TEXT NOT NULL, amount_microusd INTEGER NOT NULL);"
              + " CREATE INDEX spend_day ON spend(day, category)",
          "CREATE TABLE budget_reservations (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, day"
              + " TEXT NOT NULL, category TEXT NOT NULL, amount_microusd INTEGER NOT NULL, tool_id"
              + " TEXT NOT NULL, request_id TEXT NOT NULL)");

  /**
   * An amount held against one day's limit of one category until it is settled or released. Each is
   * closed exactly once; a second settle or release does nothing.
   */
  static final class Reservation {
    final String category;
    final String day;
    final long amountMicroUsd;
    private long rowId;
    private boolean closed;

    private Reservation(String category, String day, long amountMicroUsd) {
      this.category = category;
      this.day = day;
      this.amountMicroUsd = amountMicroUsd;
    }
  }

  private final Store store;
  private final ReceiptLog receipts;
  private final Clock clock;
  private final Map<String, Long> limits = new HashMap<>();
  private final Map<String, Long> spentToday = new HashMap<>();
  // open reservations of any day; few (one per running costed call), so sums are a scan
  private final Set<Reservation> open = new HashSet<>();
  private LocalDate today;

  @Activate
  public BudgetLedger(@Reference Store store, @Reference ReceiptLog receipts) {
    this(store, receipts, Clock.systemUTC());
  }

  BudgetLedger(Store store, ReceiptLog receipts, Clock clock) {
    this.store = store;
    this.receipts = receipts;
    this.clock = clock;
    store.migrate("budgets", MIGRATIONS);
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT OR IGNORE INTO budgets (category, daily_limit_microusd) VALUES (?, ?)")) {
            for (Map.Entry<String, Long> e : SEEDS.entrySet()) {
              ps.setString(1, e.getKey());
              ps.setLong(2, e.getValue());
              ps.executeUpdate();
            }
          }
          return null;
        });
    store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT category, daily_limit_microusd FROM budgets");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              limits.put(rs.getString(1), rs.getLong(2));
            }
          }
          return null;
        });
    releaseOrphans();
  }

  /**
   * Releases the reservations a previous run left open (it died between reserve and settle). No
   * call of this run can hold them yet. Each gets a receipt before its row goes, so a crash in
   * between repeats the receipt (same {@code reservation_id}) but never loses the release.
   */
  private void releaseOrphans() {
    List<ObjectNode> orphans =
        store.read(
            c -> {
              List<ObjectNode> rows = new ArrayList<>();
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT id, ts_ms, day, category, amount_microusd, tool_id, request_id"
                              + " FROM budget_reservations ORDER BY id");
                  ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  ObjectNode e = CanonicalJson.MAPPER.createObjectNode();
                  e.put("type", "budget_reservation_released");
                  e.put("reason", "orphaned_at_start");
                  e.put("reservation_id", rs.getLong(1));
                  e.put("reserved_at", Instant.ofEpochMilli(rs.getLong(2)).toString());
                  e.put("day", rs.getString(3));
                  e.put("category", rs.getString(4));
                  e.put("amount_microusd", rs.getLong(5));
                  e.put("tool_id", CanonicalJson.printable(rs.getString(6)));
                  e.put("request_id", CanonicalJson.printable(rs.getString(7)));
                  rows.add(e);
                }
              }
              return rows;
            });
    for (ObjectNode e : orphans) {
      LOG.warn(
          "released budget reservation {} of {} µUSD ({} on {}) left open by a crash; the call's"
              + " outcome is unknown",
          e.get("reservation_id").asLong(),
          e.get("amount_microusd").asLong(),
          e.get("category").asText(),
          e.get("day").asText());
      e.put("ts", clock.instant().toString());
      receipts.append(e);
      long rowId = e.get("reservation_id").asLong();
      store.write(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM budget_reservations WHERE id = ?")) {
              ps.setLong(1, rowId);
              return ps.executeUpdate();
            }
          });
    }
  }

  /**
   * Checks the gate and holds {@code costMicroUsd} against today's limit of the category in one
   * atomic step (SPEC §5): {@code spent + reserved + cost <= limit} (unknown category → limit 0).
   * The reservation is durable before this returns.
   *
   * @param force hold the amount even past the limit (a call a human approved runs regardless, and
   *     its spend still counts)
   * @return the reservation, or {@code null} when it does not fit and {@code force} is false
   * @throws dev.briefcase.store.StoreException when the reservation cannot be stored (nothing is
   *     then held)
   */
  Reservation reserve(
      String category, long costMicroUsd, boolean force, String toolId, String requestId) {
    Reservation r;
    synchronized (this) {
      long limit = limits.getOrDefault(category, 0L);
      long used = spent(category) + reserved(category, today.toString());
      if (!force && (costMicroUsd > limit || used > limit - costMicroUsd)) {
        return null;
      }
      r = new Reservation(category, today.toString(), costMicroUsd);
      open.add(r);
    }
    long now = clock.millis();
    try {
      long rowId =
          store.write(
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "INSERT INTO budget_reservations (ts_ms, day, category, amount_microusd,"
                            + " tool_id, request_id) VALUES (?,?,?,?,?,?)",
                        Statement.RETURN_GENERATED_KEYS)) {
                  ps.setLong(1, now);
                  ps.setString(2, r.day);
                  ps.setString(3, category);
                  ps.setLong(4, costMicroUsd);
                  ps.setString(5, CanonicalJson.printable(toolId));
                  ps.setString(6, CanonicalJson.printable(requestId));
                  ps.executeUpdate();
                  try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                  }
                }
              });
      synchronized (this) {
        r.rowId = rowId;
      }
      return r;
    } catch (RuntimeException e) {
      synchronized (this) {
        open.remove(r);
        r.closed = true;
      }
      throw e;
    }
  }

  /**
   * Turns a reservation into spend of {@code actualMicroUsd} (which may differ from the amount
   * held), in one transaction. Nothing happens when it is already closed.
   */
  void settle(Reservation r, long actualMicroUsd) {
    synchronized (this) {
      if (r.closed) {
        return;
      }
    }
    long now = clock.millis();
    long rowId;
    synchronized (this) {
      rowId = r.rowId;
    }
    store.write(
        c -> {
          try (PreparedStatement del =
                  c.prepareStatement("DELETE FROM budget_reservations WHERE id = ?");
              PreparedStatement ins =
                  c.prepareStatement(
                      "INSERT INTO spend (ts_ms, day, category, amount_microusd) VALUES"
                          + " (?,?,?,?)")) {
            del.setLong(1, rowId);
            del.executeUpdate();
            if (actualMicroUsd > 0) {
              ins.setLong(1, now);
              ins.setString(2, r.day);
              ins.setString(3, r.category);
              ins.setLong(4, actualMicroUsd);
              ins.executeUpdate();
            }
          }
          return null;
        });
    synchronized (this) {
      if (r.closed) {
        return;
      }
      r.closed = true;
      open.remove(r);
      if (actualMicroUsd > 0 && r.day.equals(String.valueOf(today))) {
        spentToday.merge(r.category, actualMicroUsd, Long::sum);
      }
    }
  }

  /**
   * Gives a reservation back: the call ended without running the tool to success. Never throws; if
   * the row cannot be deleted the amount stays held (fail closed) and the row is released at the
   * next start.
   */
  void release(Reservation r) {
    long rowId;
    synchronized (this) {
      if (r.closed) {
        return;
      }
      rowId = r.rowId;
    }
    try {
      store.write(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM budget_reservations WHERE id = ?")) {
              ps.setLong(1, rowId);
              return ps.executeUpdate();
            }
          });
    } catch (RuntimeException e) {
      LOG.error(
          "budget reservation {} could not be released; it stays held until the next start",
          rowId,
          e);
      return;
    }
    synchronized (this) {
      r.closed = true;
      open.remove(r);
    }
  }

  /** Records what a call cost that reserved nothing (its estimate was 0). */
  void record(String category, long amountMicroUsd) {
    if (amountMicroUsd <= 0) {
      return;
    }
    long now = clock.millis();
    String day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString();
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO spend (ts_ms, day, category, amount_microusd) VALUES (?,?,?,?)")) {
            ps.setLong(1, now);
            ps.setString(2, day);
            ps.setString(3, category);
            ps.setLong(4, amountMicroUsd);
            return ps.executeUpdate();
          }
        });
    synchronized (this) {
      if (day.equals(String.valueOf(today))) {
        spentToday.merge(category, amountMicroUsd, Long::sum);
      }
    }
  }

  /** What open reservations hold against one day of a category. Callers hold the monitor. */
  private long reserved(String category, String day) {
    long sum = 0;
    for (Reservation r : open) {
      if (r.category.equals(category) && r.day.equals(day)) {
        sum += r.amountMicroUsd;
      }
    }
    return sum;
  }

  /** What open reservations hold against today's limit of a category. */
  synchronized long reservedToday(String category) {
    spent(category);
    return reserved(category, today.toString());
  }

  /** Today's spend of a category. Callers hold the monitor. */
  private long spent(String category) {
    LocalDate now = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    if (!now.equals(today)) {
      reloadDay(now);
    }
    return spentToday.getOrDefault(category, 0L);
  }

  synchronized long spentToday(String category) {
    return spent(category);
  }

  private void reloadDay(LocalDate day) {
    spentToday.clear();
    store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT category, SUM(amount_microusd) FROM spend WHERE day = ? GROUP BY"
                      + " category")) {
            ps.setString(1, day.toString());
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                spentToday.put(rs.getString(1), rs.getLong(2));
              }
            }
          }
          return null;
        });
    today = day;
  }

  @Override
  public synchronized List<Budget> list() {
    List<Budget> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : new TreeMap<>(limits).entrySet()) {
      out.add(new Budget(e.getKey(), e.getValue(), spent(e.getKey())));
    }
    return out;
  }

  @Override
  public Budget set(String category, long dailyLimitMicroUsd) {
    if (category == null || !CATEGORY.matcher(category).matches()) {
      throw new IllegalArgumentException("invalid_category");
    }
    if (dailyLimitMicroUsd < 0) {
      throw new IllegalArgumentException("invalid_budget");
    }
    ObjectNode event = CanonicalJson.MAPPER.createObjectNode();
    event.put("type", "budget_update");
    event.put("category", category);
    event.put("daily_limit_microusd", dailyLimitMicroUsd);
    event.put("ts", clock.instant().toString());
    synchronized (this) {
      store.write(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO budgets (category, daily_limit_microusd) VALUES (?, ?) ON"
                        + " CONFLICT(category) DO UPDATE SET daily_limit_microusd ="
                        + " excluded.daily_limit_microusd")) {
              ps.setString(1, category);
              ps.setLong(2, dailyLimitMicroUsd);
              return ps.executeUpdate();
            }
          });
      limits.put(category, dailyLimitMicroUsd);
    }
    receipts.append(event);
    synchronized (this) {
      return new Budget(category, dailyLimitMicroUsd, spent(category));
    }
  }
}
