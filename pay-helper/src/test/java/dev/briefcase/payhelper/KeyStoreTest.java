package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class KeyStoreTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final char[] PASS = "a long passphrase".toCharArray();

  @Test
  public void storesTheKeyEncryptedInAnOwnerOnlyFile() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("w/wallet.json");
    KeyStoreFile created = KeyStoreFile.create(file, PASS);
    assertNull(created.address());
    created.withEvmKey(HexFormat.of().parseHex(Helpers.CANARY_KEY)).save(file, PASS);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    KeyStoreFile opened = KeyStoreFile.open(file, PASS);
    assertTrue(opened.address().startsWith("0x"));
    assertTrue(!Files.readString(file).contains(Helpers.CANARY_KEY));
  }

  @Test
  public void wrongPassphraseIsKeyUnavailable() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("wallet.json");
    KeyStoreFile.create(file, PASS);
    HelperException e =
        assertThrows(HelperException.class, () -> KeyStoreFile.open(file, "wrong".toCharArray()));
    assertEquals("payment_key_unavailable", e.code());
  }

  @Test
  public void aTamperedCiphertextIsKeyUnavailable() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("wallet.json");
    KeyStoreFile.create(file, PASS);
    ObjectNode root = (ObjectNode) Helpers.JSON.readTree(file.toFile());
    byte[] sealed = Base64.getDecoder().decode(root.get("sealed").asText());
    sealed[sealed.length - 20] ^= 1;
    root.put("sealed", Base64.getEncoder().encodeToString(sealed));
    Files.write(file, Helpers.JSON.writeValueAsBytes(root));
    assertEquals(
        "payment_key_unavailable",
        assertThrows(HelperException.class, () -> KeyStoreFile.open(file, PASS)).code());
  }

  @Test
  public void loweredKdfParametersAreRefused() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("wallet.json");
    KeyStoreFile.create(file, PASS);
    ObjectNode root = (ObjectNode) Helpers.JSON.readTree(file.toFile());
    root.put("n", 1024);
    Files.write(file, Helpers.JSON.writeValueAsBytes(root));
    assertEquals(
        "payment_key_unavailable",
        assertThrows(HelperException.class, () -> KeyStoreFile.open(file, PASS)).code());
    // within the accepted range but not what the file was sealed with: the header is authenticated
    root.put("n", 1 << 16);
    Files.write(file, Helpers.JSON.writeValueAsBytes(root));
    assertEquals(
        "payment_key_unavailable",
        assertThrows(HelperException.class, () -> KeyStoreFile.open(file, PASS)).code());
  }

  @Test
  public void initRefusesToOverwriteAStore() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("wallet.json");
    KeyStoreFile.create(file, PASS);
    assertThrows(java.io.IOException.class, () -> KeyStoreFile.create(file, PASS));
  }

  @Test
  public void aSealedJournalEntryDoesNotOpenWithAnotherKeyStoresDataKey() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("journal");
    KeyStoreFile a = KeyStoreFile.create(tmp.getRoot().toPath().resolve("a.json"), PASS);
    KeyStoreFile b = KeyStoreFile.create(tmp.getRoot().toPath().resolve("b.json"), PASS);
    new Journal(dir, a.dataKey())
        .write("k", "x402_v2", "d", "done", null, java.time.Instant.now(), new byte[] {1, 2});
    Journal other = new Journal(dir, b.dataKey());
    assertEquals(
        "payment_key_unavailable",
        assertThrows(HelperException.class, () -> other.unseal("k", other.read("k").get())).code());
  }
}
