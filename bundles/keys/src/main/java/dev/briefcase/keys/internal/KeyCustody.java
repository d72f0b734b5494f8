package dev.briefcase.keys.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import dev.briefcase.keys.CustodyReport;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.plugindirectory.Lease;
import dev.briefcase.plugindirectory.Plugin;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.SignerException;
import dev.briefcase.store.Store;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key directory (SPEC §12): role → key handle bindings ({@link RoleTable}) on signers looked up
 * per call by backend id ({@link SignerDirectory}). New keys come from {@link KeyCreator}, every
 * change writes a {@code key_lifecycle} receipt ({@link LifecycleReceipts}), DPoP proofs are built
 * by {@link DpopProofBuilder} and {@link #check()} is the {@link CustodyReporter}'s. Backend choice
 * and the {@code ga} software-key rule come from framework properties ({@link CustodySettings}),
 * the swap timings are the framework-wide plugin timings ({@link DirectoryTimings}). Thread-safe;
 * changes are serialised.
 */
@Component(service = KeyDirectory.class)
public final class KeyCustody implements KeyDirectory {

  private static final Logger LOG = LoggerFactory.getLogger(KeyCustody.class);
  private static final Pattern BACKEND_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final SignerDirectory signers;
  private final RoleTable roles;
  private final CustodySettings settings;
  private final KeyCreator creator;
  private final LifecycleReceipts lifecycle;
  private final CustodyReporter reporter;
  private final DpopProofBuilder dpop;
  private final Object changes = new Object();

  @Activate
  public KeyCustody(@Reference Store store, @Reference ReceiptLog receipts, BundleContext context) {
    this(store, receipts, Clock.systemUTC(), context::getProperty, DirectoryTimings.from(context));
  }

  KeyCustody(
      Store store,
      ReceiptLog receipts,
      Clock clock,
      Function<String, String> frameworkProperty,
      DirectoryTimings timings) {
    this.settings = CustodySettings.from(frameworkProperty);
    this.signers = new SignerDirectory(timings);
    this.roles = new RoleTable(store);
    this.creator = new KeyCreator(signers, settings, clock);
    this.lifecycle = new LifecycleReceipts(receipts, signers, clock);
    this.reporter = new CustodyReporter(signers, roles, settings.backend());
    this.dpop = new DpopProofBuilder(clock);
    LOG.info("key directory ready: backend {}, {} role(s) bound", settings.backend(), roles.size());
  }

  // --- signer tracking: looked up per call, never cached past a call ---

  @Reference(
      service = Signer.class,
      cardinality = MULTIPLE,
      policy = DYNAMIC,
      policyOption = GREEDY)
  void bindSigner(ComponentServiceObjects<Signer> objects, Map<String, Object> props) {
    String id = SignerDirectory.signerId(props);
    if (id == null) {
      LOG.warn("ignoring a signer without {}", Signer.ID);
      return;
    }
    ServiceReference<Signer> ref = objects.getServiceReference();
    Bundle bundle = ref == null ? null : ref.getBundle();
    signers.arrived(
        new SignerBinding(
            objects, id, SignerDirectory.ranking(props), SignerDirectory.serviceId(props)),
        () -> bundle != null && bundle.getState() == Bundle.UNINSTALLED);
  }

  void unbindSigner(ComponentServiceObjects<Signer> objects, Map<String, Object> props) {
    signers.left(SignerDirectory.serviceId(props));
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
      public ServiceReference<Signer> getServiceReference() {
        return null;
      }
    };
  }

  // --- the directory ---

  private static String checkBackend(String backend) throws KeyException {
    if (backend == null) {
      return null;
    }
    if (!BACKEND_ID.matcher(backend).matches()) {
      throw new KeyException(
          KeyException.INVALID_BACKEND, "backend must match [A-Za-z0-9._-]{1,64}");
    }
    return backend;
  }

  @Override
  public List<KeyInfo> list() {
    return roles.list();
  }

  @Override
  public Optional<KeyInfo> get(String role) throws KeyException {
    return Optional.ofNullable(roles.get(RoleTable.checkRole(role)));
  }

  @Override
  public KeyInfo create(String role, KeyAlgorithm algorithm, String backend, String actor)
      throws KeyException {
    RoleTable.checkRole(role);
    KeyAlgorithm alg = algorithm == null ? RoleTable.defaultAlgorithm(role) : algorithm;
    RoleTable.checkAlgorithm(role, alg);
    checkBackend(backend);
    synchronized (changes) {
      if (roles.get(role) != null) {
        throw new KeyException(
            KeyException.KEY_EXISTS, "role " + role + " already has a key; rotate it");
      }
      KeyInfo k = creator.generate(role, alg, backend);
      roles.put(k);
      lifecycle.record("create", k, null, actor);
      return k;
    }
  }

  @Override
  public KeyInfo rotate(String role, KeyAlgorithm algorithm, String backend, String actor)
      throws KeyException {
    RoleTable.checkRole(role);
    checkBackend(backend);
    synchronized (changes) {
      KeyInfo old = roles.get(role);
      if (old == null) {
        throw new KeyException(KeyException.KEY_NOT_FOUND, "role " + role + " has no key");
      }
      KeyAlgorithm alg = algorithm == null ? old.handle().algorithm() : algorithm;
      RoleTable.checkAlgorithm(role, alg);
      KeyInfo k = creator.generate(role, alg, backend);
      roles.put(k);
      lifecycle.record("rotate", k, old, actor);
      return k;
    }
  }

  @Override
  public void delete(String role, String actor) throws KeyException {
    RoleTable.checkRole(role);
    synchronized (changes) {
      KeyInfo old = roles.get(role);
      if (old == null) {
        throw new KeyException(KeyException.KEY_NOT_FOUND, "role " + role + " has no key");
      }
      roles.remove(role);
      lifecycle.record("delete", null, old, actor);
    }
  }

  @Override
  public KeyInfo ensure(String role) throws KeyException {
    KeyInfo k = roles.get(RoleTable.checkRole(role));
    if (k != null) {
      return k;
    }
    synchronized (changes) {
      k = roles.get(role);
      if (k != null) {
        return k;
      }
      k = creator.generate(role, RoleTable.defaultAlgorithm(role), null);
      roles.put(k);
      lifecycle.record("create", k, null, "kernel");
      return k;
    }
  }

  @Override
  public byte[] sign(String role, byte[] message) throws KeyException {
    if (message == null) {
      throw new KeyException(KeyException.INVALID_REQUEST, "message is required");
    }
    return signWith(ensure(role), message);
  }

  private byte[] signWith(KeyInfo k, byte[] message) throws KeyException {
    if (!k.hardwareBacked() && settings.refusesSoftware()) {
      throw new KeyException(
          KeyException.SOFTWARE_KEYS_REFUSED,
          "role " + k.role() + " is in software; refused in the ga profile");
    }
    String id = k.handle().signerId();
    for (int attempt = 0; ; attempt++) {
      Plugin<SignerBinding> used = null;
      try (Lease<SignerBinding> lease = signers.lease(id)) {
        used = lease.plugin();
        return lease.service().signer().sign(k.handle(), message);
      } catch (SignerException e) {
        // A signer stopped under this call (update/replacement): DS may deactivate it a moment
        // before its service is unregistered, so wait briefly (the stop grace) for the binding to
        // go, then retry once on the successor. The lease is closed first: its unbind drains it.
        if (attempt == 0
            && SignerException.BACKEND_UNAVAILABLE.equals(e.code())
            && signers.replaced(id, used)) {
          continue;
        }
        throw new KeyException(e.code(), e.getMessage());
      } catch (KeyException e) {
        // the binding's own refusal (a signer that did not activate) keeps its code
        throw e;
      } catch (RuntimeException e) {
        LOG.warn("signer {} failed: {}", id, e.toString());
        throw new KeyException(KeyException.SIGNER_ERROR, "signer " + id + " failed");
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
    String role = RoleTable.checkRole(DPOP_PREFIX + (server == null ? "" : server));
    DpopProofBuilder.checkMethod(htm);
    String target = DpopProofBuilder.htu(htu);
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
    return dpop.build(k, htm, target, accessToken, nonce, this::signWith);
  }

  @Override
  public CustodyReport check() {
    return reporter.report();
  }
}
