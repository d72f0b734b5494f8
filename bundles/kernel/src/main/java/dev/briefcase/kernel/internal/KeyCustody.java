package dev.briefcase.kernel.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.keys.CustodyReport;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.SignerException;
import dev.briefcase.store.Store;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key directory (SPEC §12): role → key handle bindings persisted in the store, signers looked
 * up per call by backend id. A backend that left moments ago (a bundle update) is waited for
 * briefly ({@link #SWAP_GRACE_MS}); otherwise a missing backend is {@code backend_unavailable} at
 * once. Backend selection follows {@code briefcase.key.backend} ({@code auto} prefers hardware); a
 * fallback to software logs a WARN and fails the {@code key_custody} check; in the {@code ga}
 * profile software keys are refused unless {@code briefcase.allow.software.keys} is set.
 */
@Component(service = KeyDirectory.class)
public final class KeyCustody implements KeyDirectory {
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE key_roles (role TEXT PRIMARY KEY, signer_id TEXT NOT NULL, key_id TEXT NOT"
              + " NULL, algorithm TEXT NOT NULL, hardware INTEGER NOT NULL, public_jwk TEXT NOT"
              + " NULL, thumbprint TEXT NOT NULL, created_at TEXT NOT NULL)");

  static final String BACKEND_PROPERTY = "briefcase.key.backend";
  static final String ALLOW_PROPERTY = "briefcase.allow.software.keys";
  static final String ALLOW_ENV = "BRIEFCASE_ALLOW_SOFTWARE_KEYS";
  static final Set<String> BACKENDS =
      Set.of("auto", "software", "pkcs11", "tpm2", "apple", "windows", "remote");

  /** How long a call waits for a backend that left less than {@link #DEPARTED_MS} ago. */
  static final long SWAP_GRACE_MS = 3_000;

  static final long DEPARTED_MS = 10_000;

  /** How long a call that met a stopped signer waits for its service to be unregistered. */
  static final long STOP_GRACE_MS = 500;

  /** Hardware backends in the order {@code auto} tries them. */
  private static final List<String> HARDWARE_ORDER = List.of("pkcs11", "tpm2", "apple", "windows");

  private static final Pattern SERVER = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern BACKEND_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");
  private static final Logger LOG = LoggerFactory.getLogger(KeyCustody.class);

  /**
   * One registered signer. The service object is fetched on first use, not at binding, so a signer
   * whose activation is slow (the secret store behind it) does not slow down the kernel's start.
   */
  private static final class Bound {
    final ComponentServiceObjects<Signer> objects;
    final String id;
    final int ranking;
    final long serviceId;
    private volatile Signer signer;

    Bound(ComponentServiceObjects<Signer> objects, String id, int ranking, long serviceId) {
      this.objects = objects;
      this.id = id;
      this.ranking = ranking;
      this.serviceId = serviceId;
    }

    String id() {
      return id;
    }

    int ranking() {
      return ranking;
    }

    long serviceId() {
      return serviceId;
    }

    Signer signer() throws KeyException {
      Signer s = signer;
      if (s == null) {
        synchronized (this) {
          s = signer;
          if (s == null) {
            try {
              s = objects.getService();
            } catch (RuntimeException e) {
              s = null;
            }
            if (s == null) {
              throw new KeyException("backend_unavailable", "signer " + id + " did not activate");
            }
            signer = s;
          }
        }
      }
      return s;
    }

    synchronized void release() {
      Signer s = signer;
      signer = null;
      if (s != null) {
        try {
          objects.ungetService(s);
        } catch (RuntimeException e) {
          // the service is going away anyway
        }
      }
    }
  }

  private final Store store;
  private final ReceiptLog receipts;
  private final Clock clock;
  private final String configured;
  private final boolean strict;
  private final boolean allowSoftware;
  private final Map<String, KeyInfo> roles = new ConcurrentHashMap<>();
  private final Map<Long, Bound> signers = new ConcurrentHashMap<>();
  private final Map<String, Long> departed = new ConcurrentHashMap<>();
  private final Object arrivals = new Object();
  private final Object changes = new Object();

  @Activate
  public KeyCustody(@Reference Store store, @Reference ReceiptLog receipts, BundleContext context) {
    this(
        store,
        receipts,
        Clock.systemUTC(),
        name -> {
          String v = context.getProperty(name);
          return v == null && ALLOW_PROPERTY.equals(name) ? System.getenv(ALLOW_ENV) : v;
        });
  }

  KeyCustody(
      Store store, ReceiptLog receipts, Clock clock, Function<String, String> frameworkProperty) {
    this.store = store;
    this.receipts = receipts;
    this.clock = clock;
    String backend = frameworkProperty.apply(BACKEND_PROPERTY);
    this.configured =
        backend == null || backend.isBlank() ? "auto" : backend.trim().toLowerCase(Locale.ROOT);
    if (!BACKENDS.contains(configured)) {
      throw new IllegalStateException(
          "invalid BRIEFCASE_KEY_BACKEND '" + configured + "' (expected one of " + BACKENDS + ")");
    }
    String mode = frameworkProperty.apply("briefcase.profile.mode");
    this.strict = mode != null && "ga".equalsIgnoreCase(mode.trim());
    String allow = frameworkProperty.apply(ALLOW_PROPERTY);
    this.allowSoftware =
        allow != null && ("1".equals(allow.trim()) || "true".equalsIgnoreCase(allow.trim()));
    if (strict && "software".equals(configured) && !allowSoftware) {
      LOG.error(
          "Key directory refused: profile ga with BRIEFCASE_KEY_BACKEND=software needs"
              + " BRIEFCASE_ALLOW_SOFTWARE_KEYS=1");
      throw new IllegalStateException("software keys are refused in the ga profile");
    }
    store.migrate("keys", MIGRATIONS);
    store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT role, signer_id, key_id, algorithm, hardware, public_jwk, thumbprint,"
                          + " created_at FROM key_roles");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              KeyInfo k =
                  new KeyInfo(
                      rs.getString(1),
                      new KeyHandle(
                          rs.getString(2), rs.getString(3), KeyAlgorithm.valueOf(rs.getString(4))),
                      rs.getInt(5) != 0,
                      rs.getString(6),
                      rs.getString(7),
                      Instant.parse(rs.getString(8)));
              roles.put(k.role(), k);
            }
          }
          return null;
        });
    LOG.info("key directory ready: backend {}, {} role(s) bound", configured, roles.size());
  }

  // --- signer tracking: looked up per call, never cached past a call ---

  @Reference(
      service = Signer.class,
      cardinality = MULTIPLE,
      policy = DYNAMIC,
      policyOption = GREEDY)
  void bindSigner(ComponentServiceObjects<Signer> objects, Map<String, Object> props) {
    Object id = props.get(Signer.ID);
    if (!(id instanceof String s) || s.isBlank()) {
      LOG.warn("ignoring a signer without {}", Signer.ID);
      return;
    }
    Bound b = new Bound(objects, s, ranking(props), serviceId(props));
    signers.put(b.serviceId(), b);
    synchronized (arrivals) {
      arrivals.notifyAll();
    }
    LOG.info("signer {} arrived", s);
  }

  void unbindSigner(ComponentServiceObjects<Signer> objects, Map<String, Object> props) {
    Bound gone = signers.get(serviceId(props));
    if (gone != null) {
      // recorded before the removal, so a caller never sees the backend missing and not departed
      departed.put(gone.id(), System.nanoTime());
    }
    Bound b = signers.remove(serviceId(props));
    if (b != null) {
      b.release();
      synchronized (arrivals) {
        arrivals.notifyAll();
      }
      LOG.info("signer {} left", b.id());
    }
  }

  private static int ranking(Map<String, Object> props) {
    return props.get("service.ranking") instanceof Integer i ? i : 0;
  }

  private static long serviceId(Map<String, Object> props) {
    return props.get("service.id") instanceof Long l ? l : -1L;
  }

  /** Test entry point: a signer instance instead of DS service objects. */
  void addSigner(Signer signer, Map<String, Object> props) {
    bindSigner(objectsOf(signer), props);
  }

  void removeSigner(Signer signer, Map<String, Object> props) {
    unbindSigner(objectsOf(signer), props);
  }

  private static ComponentServiceObjects<Signer> objectsOf(Signer signer) {
    return new ComponentServiceObjects<>() {
      @Override
      public Signer getService() {
        return signer;
      }

      @Override
      public void ungetService(Signer service) {}

      @Override
      public org.osgi.framework.ServiceReference<Signer> getServiceReference() {
        return null;
      }
    };
  }

  private static boolean safeHardware(Bound b) {
    try {
      return b.signer().hardwareBacked();
    } catch (KeyException | RuntimeException e) {
      return false;
    }
  }

  /** The highest-ranked signer with this id (lowest service id on a tie), or null. */
  private Bound best(String id) {
    Bound best = null;
    for (Bound b : signers.values()) {
      if (b.id().equals(id)
          && (best == null
              || b.ranking() > best.ranking()
              || (b.ranking() == best.ranking() && b.serviceId() < best.serviceId()))) {
        best = b;
      }
    }
    return best;
  }

  /**
   * The signer for a backend id; waits up to {@link #SWAP_GRACE_MS} only when that backend left
   * less than {@link #DEPARTED_MS} ago (a bundle update or replacement in progress).
   */
  private Bound find(String id) throws KeyException {
    Bound b = best(id);
    if (b != null) {
      return b;
    }
    Long left = departed.get(id);
    if (left != null
        && System.nanoTime() - left < DEPARTED_MS * 1_000_000L
        && awaitBinding(id, Objects::nonNull, SWAP_GRACE_MS, 50)) {
      b = best(id);
      if (b != null) {
        return b;
      }
    }
    throw new KeyException("backend_unavailable", "signer backend " + id + " is not available");
  }

  /** Whether the binding {@code b} goes away within {@link #STOP_GRACE_MS}. */
  private boolean replaced(String id, Bound b) {
    return awaitBinding(id, current -> current != b, STOP_GRACE_MS, 10);
  }

  /**
   * Waits on signer arrivals and departures until {@code done} holds for the current binding of
   * {@code id} (null when none), for at most {@code millis}, re-checking every {@code pollMillis}.
   */
  private boolean awaitBinding(String id, Predicate<Bound> done, long millis, long pollMillis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    synchronized (arrivals) {
      while (!done.test(best(id))) {
        long wait = (deadline - System.nanoTime()) / 1_000_000L;
        if (wait <= 0) {
          return false;
        }
        try {
          arrivals.wait(Math.min(wait, pollMillis));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  // --- roles ---

  static String checkRole(String role) throws KeyException {
    if (role == null) {
      throw new KeyException("invalid_role", "role is required");
    }
    if (role.equals(IDENTITY) || role.equals(POP)) {
      return role;
    }
    if (role.startsWith(DPOP_PREFIX) && SERVER.matcher(role.substring(5)).matches()) {
      return role;
    }
    throw new KeyException(
        "invalid_role", "role must be identity, pop or dpop:<server> ([A-Za-z0-9._-]{1,64})");
  }

  static KeyAlgorithm defaultAlgorithm(String role) {
    return IDENTITY.equals(role) ? KeyAlgorithm.ED25519 : KeyAlgorithm.P256;
  }

  private static void checkAlgorithm(String role, KeyAlgorithm algorithm) throws KeyException {
    if (IDENTITY.equals(role) && algorithm != KeyAlgorithm.ED25519) {
      throw new KeyException("invalid_algorithm", "the identity key is Ed25519");
    }
  }

  private static String checkBackend(String backend) throws KeyException {
    if (backend == null) {
      return null;
    }
    if (!BACKEND_ID.matcher(backend).matches()) {
      throw new KeyException("invalid_backend", "backend must match [A-Za-z0-9._-]{1,64}");
    }
    return backend;
  }

  @Override
  public List<KeyInfo> list() {
    return roles.values().stream().sorted(Comparator.comparing(KeyInfo::role)).toList();
  }

  @Override
  public Optional<KeyInfo> get(String role) throws KeyException {
    return Optional.ofNullable(roles.get(checkRole(role)));
  }

  @Override
  public KeyInfo create(String role, KeyAlgorithm algorithm, String backend, String actor)
      throws KeyException {
    checkRole(role);
    KeyAlgorithm alg = algorithm == null ? defaultAlgorithm(role) : algorithm;
    checkAlgorithm(role, alg);
    checkBackend(backend);
    synchronized (changes) {
      if (roles.containsKey(role)) {
        throw new KeyException("key_exists", "role " + role + " already has a key; rotate it");
      }
      KeyInfo k = generate(role, alg, backend);
      persist(k);
      receipt("create", k, null, actor);
      return k;
    }
  }

  @Override
  public KeyInfo rotate(String role, KeyAlgorithm algorithm, String backend, String actor)
      throws KeyException {
    checkRole(role);
    checkBackend(backend);
    synchronized (changes) {
      KeyInfo old = roles.get(role);
      if (old == null) {
        throw new KeyException("key_not_found", "role " + role + " has no key");
      }
      KeyAlgorithm alg = algorithm == null ? old.handle().algorithm() : algorithm;
      checkAlgorithm(role, alg);
      KeyInfo k = generate(role, alg, backend);
      persist(k);
      receipt("rotate", k, old, actor);
      return k;
    }
  }

  @Override
  public void delete(String role, String actor) throws KeyException {
    checkRole(role);
    synchronized (changes) {
      KeyInfo old = roles.get(role);
      if (old == null) {
        throw new KeyException("key_not_found", "role " + role + " has no key");
      }
      store.write(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM key_roles WHERE role = ?")) {
              ps.setString(1, role);
              return ps.executeUpdate();
            }
          });
      roles.remove(role);
      receipt("delete", null, old, actor);
    }
  }

  @Override
  public KeyInfo ensure(String role) throws KeyException {
    KeyInfo k = roles.get(checkRole(role));
    if (k != null) {
      return k;
    }
    synchronized (changes) {
      k = roles.get(role);
      if (k != null) {
        return k;
      }
      k = generate(role, defaultAlgorithm(role), null);
      persist(k);
      receipt("create", k, null, "kernel");
      return k;
    }
  }

  @Override
  public byte[] sign(String role, byte[] message) throws KeyException {
    if (message == null) {
      throw new KeyException("invalid_request", "message is required");
    }
    return signWith(ensure(role), message);
  }

  private byte[] signWith(KeyInfo k, byte[] message) throws KeyException {
    if (!k.hardwareBacked() && strict && !allowSoftware) {
      throw new KeyException(
          "software_keys_refused",
          "role " + k.role() + " is in software; refused in the ga profile");
    }
    String id = k.handle().signerId();
    for (int attempt = 0; ; attempt++) {
      Bound b = find(id);
      try {
        return b.signer().sign(k.handle(), message);
      } catch (SignerException e) {
        // A signer stopped under this call (update/replacement): DS may deactivate it a moment
        // before its service is unregistered, so wait briefly for the binding to go, then retry
        // once on the successor.
        if (attempt == 0 && "backend_unavailable".equals(e.code()) && replaced(id, b)) {
          continue;
        }
        throw new KeyException(e.code(), e.getMessage());
      } catch (RuntimeException e) {
        LOG.warn("signer {} failed: {}", id, e.toString());
        throw new KeyException("signer_error", "signer " + id + " failed");
      }
    }
  }

  @Override
  public String dpopProof(
      String server,
      KeyAlgorithm algorithm,
      String htm,
      String htu,
      String accessToken,
      String nonce)
      throws KeyException {
    String role = checkRole(DPOP_PREFIX + (server == null ? "" : server));
    if (htm == null || !METHOD.matcher(htm).matches()) {
      throw new KeyException("invalid_request", "htm must be an HTTP method in upper case");
    }
    String target = htu(htu);
    KeyInfo k = ensure(role);
    if (algorithm != null && k.handle().algorithm() != algorithm) {
      // SPEC §12 acceptance 3: a DPoP algorithm change rotates the key and deletes the old one
      synchronized (changes) {
        k = roles.get(role);
        if (k == null) {
          k = ensure(role);
        }
        if (k.handle().algorithm() != algorithm) {
          k = rotate(role, algorithm, null, "kernel");
        }
      }
    }
    ObjectNode header = CanonicalJson.MAPPER.createObjectNode();
    header.put("typ", "dpop+jwt");
    header.put("alg", k.handle().algorithm() == KeyAlgorithm.ED25519 ? "EdDSA" : "ES256");
    try {
      header.set("jwk", CanonicalJson.MAPPER.readTree(k.publicJwk()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored public JWK is not JSON", e);
    }
    ObjectNode claims = CanonicalJson.MAPPER.createObjectNode();
    claims.put("jti", UUID.randomUUID().toString());
    claims.put("htm", htm);
    claims.put("htu", target);
    claims.put("iat", clock.instant().getEpochSecond());
    if (accessToken != null) {
      claims.put("ath", PublicJwks.b64(sha256(accessToken.getBytes(StandardCharsets.US_ASCII))));
    }
    if (nonce != null) {
      claims.put("nonce", nonce);
    }
    String input = b64json(header) + "." + b64json(claims);
    byte[] signature = signWith(k, input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + PublicJwks.b64(signature);
  }

  /** RFC 9449 htu: the request URI without query and fragment; http(s) and absolute only. */
  static String htu(String htu) throws KeyException {
    if (htu == null || htu.length() > 2048) {
      throw new KeyException("invalid_request", "htu must be an absolute http(s) URI");
    }
    try {
      URI u = new URI(htu);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("https") || scheme.equals("http"))
          || u.getRawAuthority() == null
          || u.getRawUserInfo() != null) {
        throw new KeyException("invalid_request", "htu must be an absolute http(s) URI");
      }
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      return scheme + "://" + u.getRawAuthority() + path;
    } catch (URISyntaxException e) {
      throw new KeyException("invalid_request", "htu must be an absolute http(s) URI");
    }
  }

  private static String b64json(ObjectNode node) {
    try {
      return PublicJwks.b64(CanonicalJson.MAPPER.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- creation and backend selection ---

  /** Generates a key on the explicit backend, the configured one, or by {@code auto}. */
  private KeyInfo generate(String role, KeyAlgorithm alg, String backend) throws KeyException {
    String want = backend != null ? backend : configured;
    List<Bound> candidates = new ArrayList<>();
    if (!"auto".equals(want)) {
      if (best(want) == null) {
        // a backend family (pkcs11) also matches signers configured as pkcs11-<name>
        autoOrder().stream().filter(b -> family(b.id()).equals(want)).forEach(candidates::add);
      }
      if (candidates.isEmpty()) {
        candidates.add(find(want));
      }
    } else {
      candidates.addAll(autoOrder());
      if (candidates.isEmpty()) {
        throw new KeyException("backend_unavailable", "no signer backend is available");
      }
    }
    KeyException last = null;
    for (Bound b : candidates) {
      boolean hardware = safeHardware(b);
      if (!hardware && strict && !allowSoftware) {
        last =
            new KeyException(
                "software_keys_refused",
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
            clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
      } catch (SignerException e) {
        LOG.info("signer {} could not create a {} key for {}: {}", b.id(), alg, role, e.code());
        last = new KeyException(e.code(), "signer " + b.id() + ": " + e.getMessage());
      } catch (KeyException e) {
        last = e;
      } catch (RuntimeException e) {
        LOG.warn("signer {} failed creating a key: {}", b.id(), e.toString());
        last = new KeyException("signer_error", "signer " + b.id() + " failed");
      }
    }
    throw last;
  }

  /** Hardware signers first (pkcs11, tpm2, apple, windows, then others by id), then software. */
  private List<Bound> autoOrder() {
    Map<String, Bound> byId = new TreeMap<>();
    for (Bound b : signers.values()) {
      byId.merge(b.id(), b, (x, y) -> best(x.id()));
    }
    List<Bound> hardware = new ArrayList<>();
    List<Bound> software = new ArrayList<>();
    for (Bound b : byId.values()) {
      (safeHardware(b) ? hardware : software).add(b);
    }
    hardware.sort(
        Comparator.comparingInt(
                (Bound b) -> {
                  int i = HARDWARE_ORDER.indexOf(family(b.id()));
                  return i < 0 ? HARDWARE_ORDER.size() : i;
                })
            .thenComparing(Bound::id));
    List<Bound> out = new ArrayList<>(hardware);
    out.addAll(software);
    return out;
  }

  /** The backend family of a signer id: {@code pkcs11-hsm2} → {@code pkcs11}. */
  static String family(String signerId) {
    int dash = signerId.indexOf('-');
    return dash < 0 ? signerId : signerId.substring(0, dash);
  }

  private static String thumbprint(String jwk) {
    try {
      Map<String, String> members = new TreeMap<>();
      CanonicalJson.MAPPER
          .readTree(jwk)
          .fields()
          .forEachRemaining(
              e -> {
                if (Set.of("crv", "kty", "x", "y").contains(e.getKey())) {
                  members.put(e.getKey(), e.getValue().asText());
                }
              });
      return PublicJwks.thumbprint(members);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("signer returned a JWK that is not JSON", e);
    }
  }

  private void persist(KeyInfo k) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO key_roles (role, signer_id, key_id, algorithm, hardware, public_jwk,"
                      + " thumbprint, created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(role) DO"
                      + " UPDATE SET signer_id = excluded.signer_id, key_id = excluded.key_id,"
                      + " algorithm = excluded.algorithm, hardware = excluded.hardware, public_jwk"
                      + " = excluded.public_jwk, thumbprint = excluded.thumbprint, created_at ="
                      + " excluded.created_at")) {
            ps.setString(1, k.role());
            ps.setString(2, k.handle().signerId());
            ps.setString(3, k.handle().keyId());
            ps.setString(4, k.handle().algorithm().name());
            ps.setInt(5, k.hardwareBacked() ? 1 : 0);
            ps.setString(6, k.publicJwk());
            ps.setString(7, k.thumbprint());
            ps.setString(8, k.createdAt().toString());
            return ps.executeUpdate();
          }
        });
    roles.put(k.role(), k);
  }

  /**
   * Destroys a replaced key on its backend (best effort: an unavailable backend leaves it, which
   * the receipt says) and writes the {@code key_lifecycle} receipt.
   */
  private void receipt(String action, KeyInfo now, KeyInfo old, String actor) {
    ObjectNode event = CanonicalJson.MAPPER.createObjectNode();
    event.put("type", "key_lifecycle");
    event.put("action", action);
    KeyInfo subject = now != null ? now : old;
    event.put("role", subject.role());
    if (now != null) {
      event.put("backend", now.handle().signerId());
      event.put("key_id", now.handle().keyId());
      event.put("algorithm", now.handle().algorithm().name().toLowerCase(Locale.ROOT));
      event.put("thumbprint", now.thumbprint());
      event.put("hardware_backed", now.hardwareBacked());
    }
    if (old != null) {
      event.put("old_backend", old.handle().signerId());
      event.put("old_key_id", old.handle().keyId());
      event.put("old_thumbprint", old.thumbprint());
      event.put("old_key_destroyed", destroy(old));
    }
    event.put("actor", actor == null ? "unknown" : actor);
    event.put("ts", clock.instant().toString());
    receipts.append(event);
    LOG.info("key {} for role {} by {}", action, subject.role(), actor);
  }

  private boolean destroy(KeyInfo old) {
    Bound b = best(old.handle().signerId());
    if (b == null) {
      LOG.warn(
          "old key {} of role {} not destroyed: backend {} unavailable",
          old.handle().keyId(),
          old.role(),
          old.handle().signerId());
      return false;
    }
    try {
      return b.signer().delete(old.handle());
    } catch (SignerException | KeyException | RuntimeException e) {
      LOG.warn("old key {} of role {} not destroyed: {}", old.handle().keyId(), old.role(), e);
      return false;
    }
  }

  @Override
  public CustodyReport check() {
    List<CustodyReport.Backend> backends = new ArrayList<>();
    for (Bound b : autoOrder()) {
      backends.add(new CustodyReport.Backend(b.id(), safeHardware(b)));
    }
    List<CustodyReport.RoleCustody> rs = new ArrayList<>();
    List<String> soft = new ArrayList<>();
    for (KeyInfo k : list()) {
      rs.add(
          new CustodyReport.RoleCustody(
              k.role(),
              k.handle().signerId(),
              k.handle().algorithm().name().toLowerCase(Locale.ROOT),
              k.hardwareBacked()));
      if (!k.hardwareBacked()) {
        soft.add(k.role());
      }
    }
    boolean anyHardware = backends.stream().anyMatch(CustodyReport.Backend::hardwareBacked);
    boolean ok;
    String detail;
    if (!soft.isEmpty()) {
      ok = false;
      detail = "software keys for " + String.join(", ", soft);
    } else if (backends.isEmpty()) {
      ok = false;
      detail = "no signer backend is available";
    } else if (rs.isEmpty() && "auto".equals(configured) && !anyHardware) {
      ok = false;
      detail = "no hardware backend: new keys would fall back to software";
    } else if (rs.isEmpty() && "software".equals(configured)) {
      ok = false;
      detail = "BRIEFCASE_KEY_BACKEND=software";
    } else {
      ok = true;
      detail = rs.isEmpty() ? "no keys yet; a hardware backend is available" : "hardware-backed";
    }
    return new CustodyReport(configured, ok, detail, rs, backends);
  }
}
