package dev.briefcase.kernel.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.approvals.ApprovalException;
import dev.briefcase.connector.ApprovalRequiredException;
import dev.briefcase.connector.SandboxViolationException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.edge.OneLine;
import dev.briefcase.error.BriefcaseException;
import dev.briefcase.payment.PaymentApprovalRequiredException;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.plugindirectory.Lease;
import dev.briefcase.policy.PolicyDecision;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.policy.PolicyQuery;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.risk.RiskAssessor;
import dev.briefcase.risk.RiskVerdict;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.Provenance;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tool-call pipeline of SPEC §2, in order, in one place: resolve → manifest → schema → approval
 * token → policy → risk (tighten only) → budget → credential → execute → record spend → output
 * firewall and analysis → receipt. Every step can end the call, and every ending writes exactly one
 * {@code tool_call} receipt before the caller hears the outcome.
 */
@Component(service = ToolCallService.class)
public final class ToolCallPipeline implements ToolCallService {
  private static final Logger LOG = LoggerFactory.getLogger(ToolCallPipeline.class);
  static final int MAX_MESSAGE = 200;
  static final int MAX_RISK_CSV = 160;

  private final ToolRegistry registry;
  private final ManifestBook manifests;
  private final ApprovalBook approvals;
  private final BudgetLedger budgets;
  // the calls being executed, for the payment step (PaymentKernel); set once at construction
  private CallsInFlight calls = new CallsInFlight();
  private final CredentialStrategies strategies;
  private final PolicyEngine policy;
  private final ReceiptLog receipts;
  private final Clock clock;
  private final ArgsValidator validator = new ArgsValidator();
  private final List<RiskAssessor> assessors = new CopyOnWriteArrayList<>();

  @Activate
  public ToolCallPipeline(
      @Reference ToolRegistry registry,
      @Reference ManifestBook manifests,
      @Reference ApprovalBook approvals,
      @Reference BudgetLedger budgets,
      @Reference PolicyEngine policy,
      @Reference ReceiptLog receipts,
      @Reference CredentialStrategies strategies,
      @Reference CallsInFlight calls) {
    this(registry, manifests, approvals, budgets, policy, receipts, strategies, Clock.systemUTC());
    this.calls = calls;
  }

  /** A pipeline without credential strategies (tests of the other steps). */
  ToolCallPipeline(
      ToolRegistry registry,
      ManifestBook manifests,
      ApprovalBook approvals,
      BudgetLedger budgets,
      PolicyEngine policy,
      ReceiptLog receipts,
      Clock clock) {
    this(
        registry,
        manifests,
        approvals,
        budgets,
        policy,
        receipts,
        new CredentialStrategies(DirectoryTimings.DEFAULT),
        clock);
  }

  ToolCallPipeline(
      ToolRegistry registry,
      ManifestBook manifests,
      ApprovalBook approvals,
      BudgetLedger budgets,
      PolicyEngine policy,
      ReceiptLog receipts,
      CredentialStrategies strategies,
      Clock clock) {
    this.strategies = strategies;
    this.registry = registry;
    this.manifests = manifests;
    this.approvals = approvals;
    this.budgets = budgets;
    this.policy = policy;
    this.receipts = receipts;
    this.clock = clock;
  }

  /** The calls this pipeline is executing (tests wire the payment step to it). */
  CallsInFlight calls() {
    return calls;
  }

  @Reference(cardinality = MULTIPLE, policy = DYNAMIC, policyOption = GREEDY)
  void bindRiskAssessor(RiskAssessor assessor) {
    assessors.add(assessor);
  }

  void unbindRiskAssessor(RiskAssessor assessor) {
    assessors.remove(assessor);
  }

  @Override
  public List<ToolSpec> listTools() {
    List<ToolSpec> tools = registry.tools();
    validator.retainOnly(tools);
    return tools;
  }

  @Override
  public ToolCallOutcome call(ToolCallRequest request) {
    Attempt attempt = new Attempt(request);
    // The lease keeps the connector from being stopped under this call; see ToolRegistry.
    try (ToolRegistry.Lease lease = registry.acquire(request.toolId())) {
      attempt.lease = lease;
      return run(attempt);
    } catch (ReceiptException e) {
      LOG.error("receipt could not be written; failing the call closed", e);
      return ToolCallOutcome.error("internal_error: receipt_unavailable", 0);
    } catch (Throwable e) {
      // Any step, any Throwable (a connector's Error, a library's checked exception thrown
      // sneakily): the attempt still gets its error receipt and the caller a stable answer.
      LOG.error("tool call to {} failed unexpectedly", safeId(request.toolId()), e);
      return error(attempt, BriefcaseException.INTERNAL_ERROR);
    } finally {
      closeCredential(attempt);
      closeBudget(attempt);
    }
  }

  /** Ends the call's credential and its lease on the strategy (which may now be drained). */
  private static void closeCredential(Attempt attempt) {
    if (attempt.credential != null) {
      attempt.credential.close();
      attempt.credential.forget();
    }
    if (attempt.strategyLease != null) {
      attempt.strategyLease.close();
    }
  }

  /**
   * Closes the budget of an attempt that did not settle it on success. Once the connector was
   * invoked the tool may have done its work (and paid upstream) whatever came after — it threw, its
   * output was too large or empty, a receipt failed — so the call is charged its actual cost when
   * the tool reported one, else the estimate. Only a call that never reached the connector, or
   * whose connector asked for an approval instead of running, gives the reservation back.
   */
  private void closeBudget(Attempt attempt) {
    if (attempt.invoked) {
      long cost = attempt.actualCost != null ? attempt.actualCost : attempt.estimate;
      try {
        if (attempt.reservation != null) {
          budgets.settle(attempt.reservation, cost);
        } else if (cost > 0) {
          budgets.record(attempt.category, cost);
        }
      } catch (RuntimeException e) {
        // fail closed: an unsettled reservation stays held until the next start
        LOG.error("spend of a failed call to {} could not be recorded", safeId(attempt.toolId), e);
      }
    } else if (attempt.reservation != null) {
      budgets.release(attempt.reservation);
    }
    attempt.reservation = null;
  }

  /** One SPEC §2 step: ends the call with its outcome, or returns {@code null} to go on. */
  @FunctionalInterface
  private interface Step {
    ToolCallOutcome apply(ToolCallPipeline pipeline, Attempt attempt);
  }

  /** The steps of SPEC §2 in their required order, built once. */
  private static final List<Step> STEPS =
      List.of(
          ToolCallPipeline::wellFormed, // 0
          ToolCallPipeline::resolve, // 1
          ToolCallPipeline::manifestToContext, // 2
          ToolCallPipeline::schema, // 3
          ToolCallPipeline::approvalToken, // 4
          ToolCallPipeline::policy, // 5
          ToolCallPipeline::risk, // 6
          ToolCallPipeline::budget, // 7
          ToolCallPipeline::credential, // 8
          ToolCallPipeline::execute, // 9
          ToolCallPipeline::recordSpend, // 10
          ToolCallPipeline::output); // 11

  /** Runs the steps; the first that ends the call answers it. */
  private ToolCallOutcome run(Attempt attempt) {
    for (Step step : STEPS) {
      ToolCallOutcome ended = step.apply(this, attempt);
      if (ended != null) {
        return ended;
      }
    }
    return finish(attempt); // 12
  }

  /**
   * 0. Well-formed request: a lone UTF-16 surrogate in the tool id, the approval token or the
   * context has no I-JSON form, so the call could neither be hashed nor receipted verbatim.
   */
  private ToolCallOutcome wellFormed(Attempt attempt) {
    String malformed = malformedField(attempt.request);
    if (malformed != null) {
      return deny(attempt, "invalid_args: " + malformed + ": " + CanonicalJson.LONE_SURROGATE);
    }
    return null;
  }

  /** 1. Resolve. A tool whose connector left (uninstalled, stopped) is a backend that is gone. */
  private ToolCallOutcome resolve(Attempt attempt) {
    ToolRegistry.Lease lease = attempt.lease;
    ResolvedTool tool = lease.tool();
    if (lease.unavailable()) {
      attempt.runtime = "connector";
      return error(
          attempt,
          ToolException.BACKEND_UNAVAILABLE
              + ": connector "
              + safeId(lease.departedConnector())
              + " is not available");
    }
    if (tool == null) {
      return deny(attempt, ToolException.UNKNOWN_TOOL);
    }
    attempt.tool = tool;
    attempt.spec = tool.spec();
    attempt.runtime = "builtin".equals(tool.connectorId()) ? "builtin" : "connector";
    return null;
  }

  /** 2. Manifest → context. */
  private ToolCallOutcome manifestToContext(Attempt attempt) {
    attempt.manifest = manifests.forTool(attempt.tool.owner(), attempt.spec.id(), attempt.runtime);
    attempt.runtime = attempt.manifest.runtime();
    return null;
  }

  /** 3. Schema (and I-JSON, so the call hash is well defined). */
  private ToolCallOutcome schema(Attempt attempt) {
    ToolCallRequest request = attempt.request;
    List<String> problems =
        request.argsDefect() != null
            ? List.of(request.argsDefect())
            : validator.problems(attempt.spec, request.args());
    if (!problems.isEmpty()) {
      return deny(attempt, clip("invalid_args: " + String.join("; ", problems)));
    }
    attempt.args = request.args();
    attempt.callHash = CanonicalJson.callHash(attempt.spec.id(), attempt.args);
    // the plugins' immutable copy: no assessor or connector can change what was hashed
    attempt.plainArgs = PlainJson.object(attempt.args);
    return null;
  }

  /**
   * 4. Approval token: issued for an approved, unexpired approval of exactly this tool and call,
   * asked for by this principal. Without a token, an approval the same identified principal (agent
   * or session) obtained for exactly this call counts (SPEC §10).
   */
  private ToolCallOutcome approvalToken(Attempt attempt) {
    ToolCallRequest request = attempt.request;
    String toolId = attempt.spec.id();
    ApprovalRequest granted = null;
    if (request.approvalToken() != null) {
      granted =
          approvals.usableToken(
              request.approvalToken(), toolId, attempt.callHash, attempt.principal);
      if (granted == null) {
        return deny(attempt, "invalid_or_expired_approval");
      }
    } else if (identified(request.context())) {
      granted = approvals.approvedFor(toolId, attempt.callHash, attempt.principal);
    }
    attempt.granted = granted;
    attempt.approval = granted;
    return null;
  }

  /** 5. Policy. */
  private ToolCallOutcome policy(Attempt attempt) {
    ToolSpec spec = attempt.spec;
    ToolManifest manifest = attempt.manifest;
    Instant now = clock.instant();
    long spentToday = budgets.spentToday(spec.category());
    PolicyDecision decision =
        policy.decide(
            new PolicyQuery(
                attempt.context.agentId(),
                attempt.context.sessionId(),
                spec.id(),
                spec.category(),
                spec.costMicroUsd(),
                ToolSpec.WRITE.equals(spec.category()),
                manifest.netAccess(),
                manifest.fsAccess(),
                now.atZone(ZoneOffset.UTC).getHour(),
                spentToday));
    if (decision.effect() == PolicyDecision.Effect.DENY) {
      return deny(attempt, "policy_denied");
    }
    if (decision.effect() == PolicyDecision.Effect.REQUIRE_APPROVAL) {
      if (attempt.granted == null) {
        return requireApproval(attempt, "policy_requires_approval", decision.approvalKind());
      }
      // A local approval never satisfies a policy that now wants the signer.
      if (ApprovalRequest.MOBILE_SIGNER.equals(decision.approvalKind())
          && !ApprovalRequest.MOBILE_SIGNER.equals(attempt.granted.kind())) {
        return deny(attempt, "invalid_or_expired_approval");
      }
    }
    return null;
  }

  /** 6. Risk: advisory, may only add a local approval, skipped when a human already approved. */
  private ToolCallOutcome risk(Attempt attempt) {
    if (attempt.granted == null) {
      Set<String> reasons = riskReasons(attempt.spec, attempt.plainArgs);
      if (!reasons.isEmpty()) {
        String reason = clipTo("risk:" + String.join(",", reasons), 5 + MAX_RISK_CSV);
        return requireApproval(attempt, reason, ApprovalRequest.LOCAL);
      }
    }
    return null;
  }

  /**
   * 7. Budget: check and reserve in one atomic step, so concurrent calls cannot all pass the gate;
   * an overrun asks a human, it is never a hard deny. An approved call runs regardless, and its
   * reservation still counts against the limit. call() settles or releases whatever is still open
   * when the call ends (see closeBudget).
   */
  private ToolCallOutcome budget(Attempt attempt) {
    ToolSpec spec = attempt.spec;
    if (spec.costMicroUsd() > 0) {
      attempt.reservation =
          budgets.reserve(
              spec.category(),
              spec.costMicroUsd(),
              attempt.granted != null,
              spec.id(),
              attempt.context.requestId());
      if (attempt.reservation == null) {
        return requireApproval(attempt, "budget_exceeded", ApprovalRequest.LOCAL);
      }
    }
    return null;
  }

  /**
   * 8. Credential strategy: for a tool that declares a {@link CredentialNeed}, lease the strategy
   * plugin of its kind for the rest of the call and ask it whether a credential exists, so a call
   * that cannot succeed ends here without an upstream request. The connector gets the credential
   * bound to this need and the tool's manifest; it never sees where the value comes from.
   */
  private ToolCallOutcome credential(Attempt attempt) {
    CredentialNeed need = attempt.spec.credential();
    if (need == null) {
      return null;
    }
    attempt.authMethod = need.strategy();
    Lease<CredentialStrategies.Bound> lease = strategies.lease(need.strategy());
    if (lease.plugin() == null) {
      return error(
          attempt,
          lease.unavailable()
              ? BriefcaseException.BACKEND_UNAVAILABLE
                  + ": credential strategy "
                  + need.strategy()
                  + " is not available"
              : CredentialException.INVALID_CREDENTIAL_NEED
                  + ": no credential strategy "
                  + need.strategy());
    }
    attempt.strategyLease = lease;
    try {
      lease.service().strategy().preflight(need);
    } catch (CredentialException e) {
      return error(attempt, e.code() + ": " + OneLine.of(e.getMessage()));
    }
    attempt.credential = new CallCredentialImpl(need, lease.service().strategy(), attempt.manifest);
    return null;
  }

  /** 9. Execute. The approval is consumed first, so it is good for exactly one execution. */
  private ToolCallOutcome execute(Attempt attempt) {
    ApprovalRequest granted = attempt.granted;
    ToolSpec spec = attempt.spec;
    ToolManifest manifest = attempt.manifest;
    if (granted != null && !approvals.consume(granted.id())) {
      return deny(attempt, "invalid_or_expired_approval");
    }
    ToolResult result;
    // From here on the tool may run and spend: every ending is charged (closeBudget).
    attempt.category = spec.category();
    attempt.estimate = spec.costMicroUsd();
    attempt.invoked = true;
    ToolInvocation invocation =
        new ToolInvocation(
            spec.id(),
            attempt.plainArgs,
            manifest,
            attempt.context,
            granted == null ? null : granted.id(),
            attempt.credential);
    // the payment step pays only for this very invocation, with the kernel's facts about it
    calls.enter(
        invocation,
        new CallsInFlight.Call(
            spec.id(),
            attempt.context.requestId(),
            spec.category(),
            attempt.callHash,
            granted != null
                    && PaymentApprovalRequiredException.BUDGET_EXCEEDED.equals(granted.reason())
                ? CallsInFlight.ApprovedPayment.of(granted.summary())
                : null));
    try {
      result = attempt.tool.connector().execute(invocation);
    } catch (ApprovalRequiredException e) {
      // the connector asked a human before doing the work: nothing was spent
      attempt.invoked = false;
      String summary = CredentialEcho.text(e.summary(), issued(attempt));
      if (granted != null) {
        // The call already carries a human approval: a tool asking again is a tool bug, and the
        // consumed approval must not be turned into a second request.
        return error(attempt, "tool_failed: approval requested after approval");
      }
      // a payment that does not fit the budget asks as the budget gate does (SPEC §14.5)
      String reason =
          e instanceof PaymentApprovalRequiredException
              ? PaymentApprovalRequiredException.BUDGET_EXCEEDED
              : ApprovalRequiredException.REASON;
      return requireApproval(
          attempt,
          reason,
          ApprovalRequest.LOCAL,
          summary,
          e instanceof PaymentOverBudgetException over ? over.terms() : null);
    } catch (SandboxViolationException e) {
      return deny(
          attempt,
          clip(
              "sandbox_violation:"
                  + OneLine.of(CredentialEcho.text(e.getMessage(), issued(attempt)))));
    } catch (ToolException e) {
      return error(attempt, OneLine.of(CredentialEcho.text(e.getMessage(), issued(attempt))));
    } catch (PaymentException e) {
      // the payment step refused or failed (rail unavailable, helper, provider rejected it)
      return error(attempt, e.code() + ": " + OneLine.of(e.getMessage()));
    } catch (CredentialException e) {
      // the credential of step 8 failed on the way (refresh refused, revoked, resource refused it)
      return error(
          attempt,
          e.code() + ": " + OneLine.of(CredentialEcho.text(e.getMessage(), issued(attempt))));
    } catch (RuntimeException | Error e) {
      LOG.warn("connector {} failed on {}", attempt.tool.connectorId(), spec.id(), e);
      return error(attempt, ToolException.TOOL_FAILED);
    } finally {
      calls.leave(invocation);
    }
    if (result != null) {
      attempt.actualCost = result.actualCostMicroUsd();
    }
    if (result == null || result.content() == null) {
      return error(attempt, "tool_failed: empty result");
    }
    Object plain = result.content();
    List<String> issued = issued(attempt);
    if (!issued.isEmpty()) {
      // an upstream that echoed the call's credential must not hand it to the agent
      CredentialEcho.Scrubbed scrubbed = CredentialEcho.tree(plain, issued);
      plain = scrubbed.tree();
      attempt.credentialCuts = scrubbed.cuts();
    }
    JsonNode content = PlainJson.node(plain);
    if (serializedSize(content) > manifest.maxOutputBytes()) {
      return deny(attempt, "sandbox_violation:output_too_large");
    }
    attempt.result = result;
    attempt.content = content;
    return null;
  }

  /** The credential values issued for this call so far (none without a credential). */
  private static List<String> issued(Attempt attempt) {
    return attempt.credential == null ? List.of() : attempt.credential.issuedValues();
  }

  /** 10. Record spend from the actual cost, else the estimate: the reservation is settled. */
  private ToolCallOutcome recordSpend(Attempt attempt) {
    Long actual = attempt.result.actualCostMicroUsd();
    long cost = actual != null ? actual : attempt.spec.costMicroUsd();
    if (attempt.reservation != null) {
      budgets.settle(attempt.reservation, cost);
      attempt.reservation = null;
    } else {
      budgets.record(attempt.spec.category(), cost);
    }
    attempt.invoked = false; // charged: nothing left for closeBudget
    attempt.charged = cost;
    return null;
  }

  /** 11. Output firewall, then analysis of what passed it. */
  private ToolCallOutcome output(Attempt attempt) {
    attempt.output = OutputFilter.apply(attempt.spec.outputFirewall(), attempt.content);
    attempt.outputAnalysis = OutputAnalysis.of(attempt.output);
    return null;
  }

  /** 12. Finish: the allow receipt, then the answer. */
  private ToolCallOutcome finish(Attempt attempt) {
    long cost = attempt.charged;
    String source = attempt.result.source();
    attempt.decision = "allow";
    attempt.source = source;
    attempt.costMicroUsd = cost;
    attempt.analysis = attempt.outputAnalysis;
    attempt.truncated = attempt.result.truncated();
    Receipt receipt = receipts.append(attempt.event(clock.instant()));
    BigDecimal costUsd = cost > 0 ? usd(cost) : null;
    return ToolCallOutcome.ok(
        attempt.output, new Provenance(source, costUsd, clock.instant(), receipt.id()));
  }

  /**
   * Who asked: the door the call came through, then the agent when it is known, else the session,
   * e.g. {@code mcp:session:<id>}, {@code admin-api:agent:<id>}, or the bare door ({@code
   * admin-api}) for neither. The door comes first so an admin API caller can never name itself into
   * an MCP session's principal. Approvals, their tokens and the flood limits key on it.
   */
  static String principal(CallContext context) {
    String door = context.surface();
    if (context.agentId() != null && !context.agentId().isEmpty()) {
      return door + ":agent:" + context.agentId();
    }
    if (context.sessionId() != null && !context.sessionId().isEmpty()) {
      return door + ":session:" + context.sessionId();
    }
    return door;
  }

  /** Whether the caller named an agent or session, so a retry may match without a token. */
  private static boolean identified(CallContext context) {
    return (context.agentId() != null && !context.agentId().isEmpty())
        || (context.sessionId() != null && !context.sessionId().isEmpty());
  }

  private Set<String> riskReasons(ToolSpec spec, Map<String, Object> args) {
    Set<String> reasons = new LinkedHashSet<>();
    for (RiskAssessor a : assessors) {
      try {
        RiskVerdict v = a.assess(spec, args);
        if (v != null && v.requireApproval()) {
          reasons.addAll(v.reasons().isEmpty() ? List.of("risk_high") : v.reasons());
        }
      } catch (RuntimeException e) {
        // Advisory layers fail open: they can only tighten, so ignoring one loosens nothing.
        LOG.debug("risk assessor failed; ignored", e);
      }
    }
    return reasons;
  }

  private ToolCallOutcome requireApproval(Attempt attempt, String reason, String kind) {
    return requireApproval(attempt, reason, kind, null, null);
  }

  private ToolCallOutcome requireApproval(
      Attempt attempt,
      String reason,
      String kind,
      String toolSummary,
      CallsInFlight.ApprovedPayment payment) {
    ToolSpec spec = attempt.spec;
    ToolManifest manifest = attempt.manifest;
    JsonNode args = attempt.args;
    ObjectNode summary = CanonicalJson.MAPPER.createObjectNode();
    summary.put("tool_id", spec.id());
    summary.put("reason", reason);
    summary.put("kind", kind);
    summary.put("category", spec.category());
    summary.put("net_access", manifest.netAccess());
    summary.put("fs_access", manifest.fsAccess());
    if (spec.costMicroUsd() > 0) {
      summary.put("estimated_cost_usd", usd(spec.costMicroUsd()));
    } else {
      summary.putNull("estimated_cost_usd");
    }
    summary.put("args_hash", CanonicalJson.hash(args));
    // what the human approves: the canonical arguments, secrets redacted, cut (SPEC §4 Δ)
    ArgsPreview.of(args).putInto(summary);
    summary.put(
        "copilot_summary",
        CopilotSummary.of(
            spec.category(),
            spec.id(),
            reason,
            kind,
            manifest.netAccess(),
            manifest.fsAccess(),
            spec.costMicroUsd()));
    if (toolSummary != null) {
      // what the tool itself asked the approver (request_approval), clipped to one line
      summary.put("tool_summary", clip(toolSummary));
    }
    if (payment != null) {
      // the terms the approved retry is held to (amount ceiling, provider, rail)
      payment.putInto(summary);
    }
    ApprovalRequest approval;
    try {
      approval =
          approvals.create(spec.id(), attempt.callHash, reason, kind, summary, attempt.principal);
    } catch (ApprovalException e) {
      // flood limits: the call is denied and receipted, no approval is recorded
      return deny(attempt, e.code());
    }
    attempt.decision = ToolException.APPROVAL_REQUIRED;
    attempt.reason = reason;
    attempt.approval = approval;
    Receipt receipt = receipts.append(attempt.event(clock.instant()));
    return ToolCallOutcome.approvalRequired(approval, receipt.id());
  }

  private ToolCallOutcome deny(Attempt attempt, String denyReason) {
    // a transport's defect text or a tool's message may quote caller text: keep it well-formed
    String reason = CanonicalJson.printable(denyReason);
    attempt.decision = "deny";
    attempt.reason = reason;
    Receipt receipt = receipts.append(attempt.event(clock.instant()));
    return ToolCallOutcome.denied(reason, receipt.id());
  }

  /**
   * Ends the call with an error; its receipt is written if the log can take it. Never throws: this
   * is the last resort of {@link #call}.
   */
  private ToolCallOutcome error(Attempt attempt, String message) {
    long id = 0;
    try {
      attempt.error(message);
      id = receipts.append(attempt.event(clock.instant())).id();
    } catch (Throwable e) {
      LOG.error("receipt could not be written for a failed call", e);
    }
    return ToolCallOutcome.error(clip(CanonicalJson.printable(message)), id);
  }

  /** Which caller-chosen text outside the arguments holds a lone surrogate, or {@code null}. */
  private static String malformedField(ToolCallRequest request) {
    CallContext c = request.context();
    String[][] fields = {
      {"tool_id", request.toolId()},
      {"approval_token", request.approvalToken()},
      {"context.request_id", c.requestId()},
      {"context.agent_id", c.agentId()},
      {"context.session_id", c.sessionId()},
      {"context.surface", c.surface()}
    };
    for (String[] f : fields) {
      if (f[1] != null && !CanonicalJson.wellFormed(f[1])) {
        return f[0];
      }
    }
    return null;
  }

  private static long serializedSize(JsonNode node) {
    try {
      return CanonicalJson.MAPPER.writeValueAsBytes(node).length;
    } catch (JsonProcessingException e) {
      return Long.MAX_VALUE;
    }
  }

  static BigDecimal usd(long microUsd) {
    return BigDecimal.valueOf(microUsd, 6).stripTrailingZeros();
  }

  static String clip(String s) {
    return OneLine.of(s, MAX_MESSAGE);
  }

  /** At most {@code max} chars of {@code s}, never splitting a surrogate pair. */
  private static String clipTo(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }

  /** Caller-chosen text as a receipt can hold it: well-formed (see printable), clipped. */
  private static String receiptText(String s, int max) {
    return clipTo(CanonicalJson.printable(s), max);
  }

  private static String safeId(String id) {
    return id == null ? "null" : clipTo(id.replaceAll("[^A-Za-z0-9._:-]", "?"), 64);
  }

  /**
   * What is known about one attempt so far: what the steps have resolved, the fields of its receipt
   * and its open budget.
   */
  private static final class Attempt {
    final ToolCallRequest request;
    final String toolId;
    final CallContext context;
    final String principal;
    ToolRegistry.Lease lease;
    ResolvedTool tool;
    ToolSpec spec;
    ToolManifest manifest;
    JsonNode args;

    /** {@link #args} as the plain, unmodifiable tree the plugins see. */
    Map<String, Object> plainArgs;

    /** The human approval this call carries (token or same-principal match), else null. */
    ApprovalRequest granted;

    ToolResult result;

    /** The result's content as the kernel's tree, before the output firewall. */
    JsonNode content;

    long charged;
    JsonNode output;
    OutputAnalysis outputAnalysis;

    // the fields of the receipt
    String runtime = "unknown";
    String decision;
    String reason;
    String message;
    String source;
    String callHash;
    long costMicroUsd;
    ApprovalRequest approval;
    OutputAnalysis analysis;
    boolean truncated;

    // step 8: the receipt's auth_method, the call's credential and its lease on the strategy
    String authMethod = "none";
    int credentialCuts;
    CallCredentialImpl credential;
    Lease<CredentialStrategies.Bound> strategyLease;

    // what closeBudget needs to settle or release the call's spend
    BudgetLedger.Reservation reservation;
    boolean invoked;
    String category;
    long estimate;
    Long actualCost;

    Attempt(ToolCallRequest request) {
      this.request = request;
      this.toolId = request.toolId();
      this.context = request.context();
      this.principal = principal(request.context());
    }

    void error(String message) {
      this.decision = "error";
      this.message = clip(CanonicalJson.printable(message));
    }

    ObjectNode event(Instant ts) {
      ObjectNode e = CanonicalJson.MAPPER.createObjectNode();
      e.put("type", "tool_call");
      // An agent-chosen id is recorded, but clipped: a receipt is not a place to store payloads.
      e.put("tool_id", receiptText(toolId, 128));
      e.put("runtime", runtime);
      e.put("decision", decision);
      if (reason != null) {
        e.put("reason", CanonicalJson.printable(reason));
      }
      if (approval != null) {
        e.put("approval_id", approval.id());
        e.put("approval_kind", approval.kind());
      }
      e.put("auth_method", authMethod);
      if (credentialCuts > 0) {
        // how many echoes of the call's own credential were cut from the tool's answer
        e.put("credential_redactions", credentialCuts);
      }
      if (costMicroUsd > 0) {
        e.put("cost_usd", usd(costMicroUsd));
      }
      if (source != null) {
        e.put("source", source);
      }
      if (truncated) {
        e.put("truncated", true);
      }
      ArrayNode signals = e.putArray("output_signals");
      ArrayNode domains = e.putArray("output_domains");
      if (analysis != null) {
        analysis.signals().forEach(signals::add);
        analysis.domains().forEach(domains::add);
      }
      if (message != null) {
        e.put("message", message);
      }
      if (callHash != null) {
        e.put("call_hash", callHash);
      }
      e.put("request_id", receiptText(context.requestId(), 64));
      e.put("surface", CanonicalJson.printable(context.surface()));
      if (context.agentId() != null) {
        e.put("agent_id", receiptText(context.agentId(), 128));
      }
      if (context.sessionId() != null) {
        e.put("session_id", receiptText(context.sessionId(), 128));
      }
      e.put("ts", ts.toString());
      return e;
    }
  }
}
