package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.budgets.Budget;
import dev.briefcase.budgets.BudgetService;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Daily limits and spend per category (SPEC §5). Limits and every spend row live in the store;
 * today's totals are also kept in memory so the per-call gate costs no query. The kernel is the
 * only writer of its data directory, so the in-memory totals cannot drift from the rows.
 */
@Component(service = {BudgetService.class, BudgetLedger.class})
public final class BudgetLedger implements BudgetService {
  static final Map<String, Long> SEEDS = Map.of("read", 3_000_000L, "write", 0L, "admin", 0L);
  private static final Pattern CATEGORY = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE budgets (category TEXT PRIMARY KEY, daily_limit_microusd INTEGER NOT NULL);"
              + " CREATE TABLE spend (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, day TEXT NOT"
              + " NULL, category TEXT NOT NULL, amount_microusd INTEGER NOT NULL);"
              + " CREATE INDEX spend_day ON spend(day, category)");

  private final Store store;
  private final ReceiptLog receipts;
  private final Clock clock;
  private final Map<String, Long> limits = new HashMap<>();
  private final Map<String, Long> spentToday = new HashMap<>();
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
  }

  /** Whether {@code costMicroUsd} more fits today's limit of the category (unknown → limit 0). */
  synchronized boolean fits(String category, long costMicroUsd) {
    long limit = limits.getOrDefault(category, 0L);
    return spent(category) + costMicroUsd <= limit;
  }

  /** Records what a successful call cost. */
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
      spentToday.merge(category, amountMicroUsd, Long::sum);
    }
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
