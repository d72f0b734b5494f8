package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.policy.ActivePolicy;
import dev.briefcase.policy.PolicyDecision;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.policy.PolicyQuery;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.framework.ServiceReference;

/** A kernel wired from its real parts over a real SQLite store, with fakes only at the edges. */
final class Fixture implements AutoCloseable {
  final Path dir;
  final SqliteStore store;
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
  final FakeReceipts receipts = new FakeReceipts();
  final DefaultMatrixPolicy policy = new DefaultMatrixPolicy();
  final ApprovalBook approvals;
  final BudgetLedger budgets;
  final ManifestBook manifests;
  final ToolRegistry registry;
  final ToolCallPipeline pipeline;

  /** Credential strategies with a short swap grace, so a missing strategy fails fast. */
  final CredentialStrategies strategies =
      new CredentialStrategies(
          new DirectoryTimings(
              Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofMillis(200)));

  private long serviceIds;

  Fixture() throws IOException {
    this(new ToolRegistry());
  }

  Fixture(ToolRegistry registry) throws IOException {
    this(Files.createTempDirectory("briefcase-kernel-test"), store -> registry);
  }

  /**
   * A kernel over the database in {@code dir} whose tool ownership is stored there, as the
   * daemon's: a second one over the same directory is the daemon after a restart.
   */
  static Fixture storedIn(Path dir) {
    return new Fixture(
        dir, store -> new ToolRegistry(DirectoryTimings.DEFAULT, new ToolOwnerBook(store)));
  }

  private Fixture(Path dir, java.util.function.Function<SqliteStore, ToolRegistry> registryOn) {
    this.dir = dir;
    store = new SqliteStore(dir.resolve("briefcase.db"));
    this.registry = registryOn.apply(store);
    registry.setReceipts(receipts);
    approvals = new ApprovalBook(store, receipts, Duration.ofMinutes(10), clock);
    budgets = new BudgetLedger(store, receipts, clock);
    manifests = new ManifestBook(store, receipts, registry);
    pipeline =
        new ToolCallPipeline(
            registry, manifests, approvals, budgets, policy, receipts, strategies, clock);
    pipeline.bindRiskAssessor(new RiskHeuristics());
  }

  ServiceReference<Connector> add(Connector connector, String id, int ranking) {
    ServiceReference<Connector> ref = KernelTestHook.connectorRef(id, ranking, ++serviceIds);
    registry.bindConnector(ref, connector);
    return ref;
  }

  ToolCallOutcome call(String tool, String argsJson) {
    return call(tool, argsJson, null);
  }

  ToolCallOutcome call(String tool, String argsJson, String token) {
    return pipeline.call(
        new ToolCallRequest(
            tool,
            json(argsJson),
            new CallContext(UUID.randomUUID().toString(), null, null, "test"),
            token));
  }

  /** A JSON object from its text, as the plain tree of the plugin SPIs. */
  static java.util.Map<String, Object> object(String s) {
    return PlainJson.object(json(s));
  }

  static JsonNode json(String s) {
    try {
      return CanonicalJson.MAPPER.readTree(s);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Override
  public void close() {
    store.close();
  }

  /** A clock tests can move. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Records appended events; the chain itself is tested in the receipts bundle. */
  static final class FakeReceipts implements ReceiptLog {
    final List<ObjectNode> events = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    volatile boolean failing;

    @Override
    public synchronized Receipt append(ObjectNode event) throws ReceiptException {
      if (failing) {
        throw new ReceiptException("disk full", null);
      }
      // like the real log: an event that is not I-JSON has no canonical form and is refused
      CanonicalJson.canonical(event);
      events.add(event);
      return new Receipt(ids.incrementAndGet(), Instant.now(), "0".repeat(64), "x", event);
    }

    synchronized List<ObjectNode> ofType(String type) {
      return events.stream().filter(e -> type.equals(e.path("type").asText())).toList();
    }

    synchronized List<ObjectNode> toolCalls() {
      return events.stream().filter(e -> "tool_call".equals(e.path("type").asText())).toList();
    }

    @Override
    public List<Receipt> list(int limit, long offset) {
      return List.of();
    }

    @Override
    public VerifyResult verify() {
      return new VerifyResult(true, 0, null, null, null, null);
    }

    @Override
    public long export(long afterId, Writer out) {
      return 0;
    }
  }

  /** The default policy matrix of SPEC §7, in Java; the Cedar text is tested in its bundle. */
  static final class DefaultMatrixPolicy implements PolicyEngine {
    volatile boolean approveEverything;

    @Override
    public PolicyDecision decide(PolicyQuery q) {
      if ("admin".equals(q.category())) {
        return PolicyDecision.DENY;
      }
      if (!approveEverything && "read".equals(q.category()) && q.costMicroUsd() <= 10_000) {
        return PolicyDecision.ALLOW;
      }
      boolean signer = q.isWrite() && (q.netAccess() || q.fsAccess());
      return PolicyDecision.requireApproval(signer ? "mobile_signer" : "local");
    }

    @Override
    public ActivePolicy active() {
      return new ActivePolicy("matrix", "0", Instant.EPOCH);
    }

    @Override
    public void validate(String policyText) {}

    @Override
    public ActivePolicy apply(String policyText, String source) {
      return active();
    }
  }
}
