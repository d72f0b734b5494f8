package dev.briefcase.vc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.internal.VcTestKeys;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.MemoryReceiptLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.BundleContext;

/**
 * The provider's way of issuing: the key directory's role key (public JWK → did:key) signs through
 * {@code KeyDirectory.sign} — raw Ed25519 for the identity role, raw r‖s for a P-256 role.
 */
public class KeyDirectoryIssuerTest {
  private static final Instant NOW = Instant.now();

  private SqliteStore store;
  private KeyDirectory keys;

  @Before
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("briefcase-vc-keys");
    BundleContext context = BundleContexts.withoutProperties();
    store = new SqliteStore(dir.resolve("briefcase.db"));
    keys =
        VcTestKeys.create(
            store,
            new MemoryReceiptLog(),
            new SoftwareSigner(new MemorySecretStore(context), context));
  }

  @After
  public void tearDown() throws Exception {
    if (store != null) {
      store.close();
    }
  }

  private JwsSigner issuer(String role) throws Exception {
    DidKey did = DidKey.fromPublicJwk(keys.ensure(role).publicJwk());
    return JwsSigner.of(did, m -> keys.sign(role, m));
  }

  @Test
  public void identityKeyIssuesEdDsaCredentialsAndLists() throws Exception {
    JwsSigner signer = issuer(KeyDirectory.IDENTITY);
    assertEquals("EdDSA", signer.alg());
    String issuerDid = DidKey.parseVerificationMethod(signer.kid()).did();
    assertTrue(issuerDid.startsWith("did:key:z6Mk"));
    String holder = new TestKeys.Ed25519().did.did();
    StatusEntry revocation =
        new StatusEntry(null, "revocation", 5, "http://127.0.0.1:9099/status/revocation", 1);
    String vc = VcJwt.issue(holder, "quote", "gold", NOW, null, null, List.of(revocation), signer);
    VcJwt.Verified v = VcJwt.verify(vc, holder, issuerDid, NOW);
    assertEquals(List.of(revocation), v.status());

    BitstringStatusList.Builder list = new BitstringStatusList.Builder(131_072, 1);
    list.set(5, 1);
    String listJwt =
        StatusListCredential.issue(
            revocation.statusListCredential(),
            "revocation",
            list.encode(),
            300_000L,
            NOW,
            null,
            signer);
    assertEquals(
        StatusOutcome.REVOKED,
        StatusOutcome.of(revocation, StatusListCredential.verify(listJwt, issuerDid, NOW)));
  }

  @Test
  public void p256RoleIssuesEs256Credentials() throws Exception {
    keys.create(KeyDirectory.POP, KeyAlgorithm.P256, "software", "test");
    JwsSigner signer = issuer(KeyDirectory.POP);
    assertEquals("ES256", signer.alg());
    String issuerDid = DidKey.parseVerificationMethod(signer.kid()).did();
    String holder = new TestKeys.Ed25519().did.did();
    String vc = VcJwt.issue(holder, "quote", null, NOW, null, null, List.of(), signer);
    assertEquals(issuerDid, VcJwt.verify(vc, holder, issuerDid, NOW).issuer());
  }
}
