package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code payments} table: one row per idempotency key, written before a rail pays and moved
 * through {@code authorising → paid | failed → settled | rejected}. Plain class; {@link
 * PaymentKernel} owns it.
 */
final class PaymentBook {
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE payments (id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,"
              + " match_hash TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT"
              + " NULL, day TEXT NOT NULL, request_id TEXT NOT NULL, tool_id TEXT NOT NULL,"
              + " provider TEXT NOT NULL, rail TEXT NOT NULL, amount_microusd INTEGER NOT NULL,"
              + " description TEXT NOT NULL, facts TEXT NOT NULL, state TEXT NOT NULL, code TEXT,"
              + " reference TEXT, attempts INTEGER NOT NULL);"
              + " CREATE INDEX payments_match ON payments(match_hash, state);"
              + " CREATE INDEX payments_day ON payments(day, rail, created_ms)");

  /** States a payment can still be finished from: its key is re-sent, never a new payment. */
  static final List<String> UNFINISHED = List.of("authorising", "paid", "failed");

  /** One stored payment. */
  record Row(
      String id,
      String idempotencyKey,
      Instant created,
      Instant updated,
      String day,
      String requestId,
      String toolId,
      String provider,
      String rail,
      long amountMicroUsd,
      String description,
      Map<String, String> facts,
      String state,
      String code,
      String reference,
      int attempts) {}

  private final Store store;

  PaymentBook(Store store) {
    this.store = store;
    store.migrate("payments", MIGRATIONS);
  }

  /** The newest unfinished row for the same payment (provider, tool, args, rail, quote). */
  Optional<Row> unfinished(String matchHash) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT * FROM payments WHERE match_hash = ? AND state IN"
                      + " ('authorising','paid','failed') ORDER BY created_ms DESC LIMIT 1")) {
            ps.setString(1, matchHash);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
          }
        });
  }

  /** Stores a new attempt in state {@code authorising}. */
  void insert(Row r, String matchHash) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO payments (id, idempotency_key, match_hash, created_ms, updated_ms,"
                      + " day, request_id, tool_id, provider, rail, amount_microusd, description,"
                      + " facts, state, code, reference, attempts) VALUES"
                      + " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setString(1, r.id());
            ps.setString(2, r.idempotencyKey());
            ps.setString(3, matchHash);
            ps.setLong(4, r.created().toEpochMilli());
            ps.setLong(5, r.updated().toEpochMilli());
            ps.setString(6, r.day());
            ps.setString(7, r.requestId());
            ps.setString(8, r.toolId());
            ps.setString(9, r.provider());
            ps.setString(10, r.rail());
            ps.setLong(11, r.amountMicroUsd());
            ps.setString(12, r.description());
            ps.setString(13, json(r.facts()));
            ps.setString(14, r.state());
            ps.setString(15, r.code());
            ps.setString(16, r.reference());
            ps.setInt(17, r.attempts());
            return ps.executeUpdate();
          }
        });
  }

  /** A retry of an unfinished payment: same key, back to {@code authorising}. */
  void reopen(String id, String requestId, Instant now) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE payments SET state = 'authorising', code = NULL, request_id = ?,"
                      + " updated_ms = ?, attempts = attempts + 1 WHERE id = ?")) {
            ps.setString(1, requestId);
            ps.setLong(2, now.toEpochMilli());
            ps.setString(3, id);
            return ps.executeUpdate();
          }
        });
  }

  void update(String id, String state, String code, String reference, Instant now) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE payments SET state = ?, code = ?, reference = COALESCE(?, reference),"
                      + " updated_ms = ? WHERE id = ?")) {
            ps.setString(1, state);
            ps.setString(2, code);
            ps.setString(3, reference);
            ps.setLong(4, now.toEpochMilli());
            ps.setString(5, id);
            return ps.executeUpdate();
          }
        });
  }

  Optional<Row> get(String id) {
    return store.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT * FROM payments WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
          }
        });
  }

  /** Newest first; {@code day} (yyyy-mm-dd) and {@code rail} filter when not null. */
  List<Row> list(String day, String rail, int limit, long offset) {
    return store.read(
        c -> {
          StringBuilder sql = new StringBuilder("SELECT * FROM payments WHERE 1=1");
          List<String> args = new ArrayList<>();
          if (day != null) {
            sql.append(" AND day = ?");
            args.add(day);
          }
          if (rail != null) {
            sql.append(" AND rail = ?");
            args.add(rail);
          }
          sql.append(" ORDER BY created_ms DESC, id LIMIT ? OFFSET ?");
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (String a : args) {
              ps.setString(i++, a);
            }
            ps.setInt(i++, limit);
            ps.setLong(i, offset);
            List<Row> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(row(rs));
              }
            }
            return out;
          }
        });
  }

  static String day(Instant now) {
    return LocalDate.ofInstant(now, ZoneOffset.UTC).toString();
  }

  private static Row row(ResultSet rs) throws SQLException {
    return new Row(
        rs.getString("id"),
        rs.getString("idempotency_key"),
        Instant.ofEpochMilli(rs.getLong("created_ms")),
        Instant.ofEpochMilli(rs.getLong("updated_ms")),
        rs.getString("day"),
        rs.getString("request_id"),
        rs.getString("tool_id"),
        rs.getString("provider"),
        rs.getString("rail"),
        rs.getLong("amount_microusd"),
        rs.getString("description"),
        facts(rs.getString("facts")),
        rs.getString("state"),
        rs.getString("code"),
        rs.getString("reference"),
        rs.getInt("attempts"));
  }

  private static String json(Map<String, String> facts) {
    ObjectNode o = CanonicalJson.MAPPER.createObjectNode();
    new TreeMap<>(facts).forEach(o::put);
    return CanonicalJson.canonical(o);
  }

  private static Map<String, String> facts(String json) {
    Map<String, String> out = new TreeMap<>();
    try {
      CanonicalJson.MAPPER
          .readTree(json)
          .fields()
          .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    } catch (JsonProcessingException e) {
      // a row this class wrote is always JSON; an edited one shows no facts
    }
    return out;
  }
}
