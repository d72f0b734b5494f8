package dev.briefcase.policy.cedar.internal;

import com.cedarpolicy.AuthorizationEngine;
import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.DetailedError;
import com.cedarpolicy.model.ValidationRequest;
import com.cedarpolicy.model.ValidationResponse;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.exception.CacheException;
import com.cedarpolicy.model.exception.InternalException;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.model.schema.Schema;
import dev.briefcase.edge.OneLine;
import dev.briefcase.policy.PolicyException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Parses policy texts and validates them against the shipped Cedar schema ({@code
 * briefcase.cedarschema}). Creating one loads the native Cedar library. Thread-safe: it holds only
 * the parsed schema and a stateless engine.
 */
final class CedarValidator {

  private static final int MAX_MESSAGE = 200;

  private final AuthorizationEngine engine = new BasicAuthorizationEngine();
  private final Schema schema;

  CedarValidator() {
    try {
      this.schema = Schema.parse(Schema.JsonOrCedar.Cedar, resource("briefcase.cedarschema"));
    } catch (InternalException e) {
      // the schema ships inside this bundle: failing to parse it is a build defect
      throw new IllegalStateException("shipped Cedar schema does not parse: " + firstError(e), e);
    }
  }

  /** The default policy text shipped with the bundle. */
  static String defaultPolicyText() {
    return resource("default-policy.cedar");
  }

  AuthorizationEngine engine() {
    return engine;
  }

  /**
   * Parses and validates a policy text.
   *
   * @throws PolicyException {@code invalid_cedar} with the first problem, on one line
   */
  PolicySet parseAndValidate(String policyText) throws PolicyException {
    if (policyText == null) {
      throw new PolicyException(PolicyException.INVALID_CEDAR, "policy text is missing");
    }
    PolicySet policies;
    try {
      policies = PolicySet.parsePolicies(policyText);
    } catch (InternalException e) {
      throw new PolicyException(PolicyException.INVALID_CEDAR, oneLine(firstError(e)));
    } catch (RuntimeException e) {
      throw new PolicyException(
          PolicyException.INVALID_CEDAR, oneLine("policy does not parse: " + e.getMessage()));
    }
    ValidationResponse response;
    try {
      response = engine.validate(new ValidationRequest(schema, policies));
    } catch (AuthException e) {
      throw new PolicyException(PolicyException.INVALID_CEDAR, oneLine(firstError(e)));
    }
    String problem = firstProblem(response);
    if (problem != null) {
      throw new PolicyException(PolicyException.INVALID_CEDAR, oneLine(problem));
    }
    return policies;
  }

  /**
   * Validates a policy text and compiles it for evaluation.
   *
   * @param decisionCacheSize how many decisions the compiled policy may remember, 0 for none
   */
  CompiledPolicy compile(String policyText, Instant updatedAt, int decisionCacheSize)
      throws PolicyException {
    PolicySet policies = parseAndValidate(policyText);
    try {
      // pre-parse on the Rust side so each decision only ships the request, not the policies
      policies.cache();
    } catch (RuntimeException | CacheException e) {
      throw new PolicyException(
          PolicyException.INVALID_CEDAR, oneLine("policy cannot be loaded: " + e));
    }
    return new CompiledPolicy(policyText, updatedAt, policies, engine, decisionCacheSize);
  }

  private static String firstProblem(ValidationResponse response) {
    if (response.type == ValidationResponse.SuccessOrFailure.Failure) {
      List<DetailedError> errors = response.errors.orElse(null);
      return errors == null || errors.isEmpty() ? "validation failed" : describe(errors.get(0));
    }
    List<ValidationResponse.ValidationError> errors =
        response
            .success
            .map(s -> (List<ValidationResponse.ValidationError>) s.validationErrors)
            .orElse(List.of());
    if (errors.isEmpty()) {
      return null;
    }
    ValidationResponse.ValidationError first = errors.get(0);
    return "policy " + first.getPolicyId() + ": " + describe(first.getError());
  }

  private static String describe(DetailedError error) {
    return error.help.map(h -> error.message + " (" + h + ")").orElse(error.message);
  }

  private static String firstError(AuthException e) {
    if (e instanceof InternalException internal
        && internal.getErrors() != null
        && !internal.getErrors().isEmpty()) {
      return internal.getErrors().get(0);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** The message on one line ({@link OneLine}), at most 200 characters. */
  static String oneLine(String message) {
    return OneLine.of(message, MAX_MESSAGE, "invalid policy", "...");
  }

  private static String resource(String name) {
    try (InputStream in = CedarValidator.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing bundle resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
