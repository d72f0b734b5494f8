package dev.briefcase.keys.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.SignerException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates a role's key on the explicit backend, the configured one, or by {@code auto} (hardware
 * first, software with a WARN), refusing software in {@code ga} unless allowed. Stateless apart
 * from its collaborators; thread-safe.
 */
final class KeyCreator {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Set<String> THUMBPRINT_MEMBERS = Set.of("crv", "kty", "x", "y");
  private static final Logger LOG = LoggerFactory.getLogger(KeyCreator.class);

  private final SignerDirectory signers;
  private final CustodySettings settings;
  private final Clock clock;

  KeyCreator(SignerDirectory signers, CustodySettings settings, Clock clock) {
    this.signers = signers;
    this.settings = settings;
    this.clock = clock;
  }

  /** A new key for {@code role}; {@code backend} null means the configured backend. */
  KeyInfo generate(String role, KeyAlgorithm alg, String backend) throws KeyException {
    String want = backend != null ? backend : settings.backend();
    KeyException last = null;
    for (SignerBinding b : signers.candidates(want)) {
      boolean hardware = b.hardwareBacked();
      if (!hardware && settings.refusesSoftware()) {
        last =
            new KeyException(
                KeyException.SOFTWARE_KEYS_REFUSED,
                "software keys are refused in the ga profile unless"
                    + " BRIEFCASE_ALLOW_SOFTWARE_KEYS=1");
        continue;
      }
      try {
        KeyHandle h = b.signer().generate(alg, "briefcase-" + role);
        String jwk = b.signer().publicJwk(h);
        if ("auto".equals(want) && !hardware) {
          LOG.warn(
              "key for role {} falls back to the software signer: no hardware backend could hold a"
                  + " {} key; the key_custody check fails",
              role,
              alg);
        }
        return new KeyInfo(
            role,
            h,
            hardware,
            jwk,
            thumbprint(jwk),
            clock.instant().truncatedTo(ChronoUnit.MILLIS));
      } catch (SignerException e) {
        LOG.info("signer {} could not create a {} key for {}: {}", b.id(), alg, role, e.code());
        last = new KeyException(e.code(), "signer " + b.id() + ": " + e.getMessage());
      } catch (KeyException e) {
        last = e;
      } catch (RuntimeException e) {
        LOG.warn("signer {} failed creating a key: {}", b.id(), e.toString());
        last = new KeyException(KeyException.SIGNER_ERROR, "signer " + b.id() + " failed");
      }
    }
    throw last;
  }

  /** The RFC 7638 thumbprint of a public JWK. */
  private static String thumbprint(String jwk) {
    try {
      Map<String, String> members = new TreeMap<>();
      MAPPER
          .readTree(jwk)
          .fields()
          .forEachRemaining(
              e -> {
                if (THUMBPRINT_MEMBERS.contains(e.getKey())) {
                  members.put(e.getKey(), e.getValue().asText());
                }
              });
      return PublicJwks.thumbprint(members);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("signer returned a JWK that is not JSON", e);
    }
  }
}
