package dev.briefcase.secrets.keyring.internal;

import dev.briefcase.secrets.SecretStoreException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.freedesktop.dbus.ObjectPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.types.Variant;
import org.freedesktop.secret.Collection;
import org.freedesktop.secret.Item;
import org.freedesktop.secret.Pair;
import org.freedesktop.secret.Secret;
import org.freedesktop.secret.Service;
import org.freedesktop.secret.TransportEncryption;

/**
 * The freedesktop.org Secret Service (gnome-keyring, KWallet, KeePassXC) over D-Bus, through {@code
 * de.swiesend:secret-service}. Items live in the default collection with the attributes {@code
 * service=credential-briefcase} and {@code id=<secret id>} (so {@code secret-tool lookup service
 * credential-briefcase id <id>} finds them) plus {@code encoding=utf8|base64}: a value that is
 * valid UTF-8 is stored as that text, anything else as base64, because the library's transport
 * decrypts to characters. Values cross the bus encrypted with the DH-negotiated session key.
 *
 * <p>Never unlocks or prompts: a locked collection, a {@code null} secret (what a locked item
 * returns) or a prompt the service asks for is {@code secret_store_unavailable}, fail closed. Items
 * are deleted one by one through {@code Item.Delete}: the library's bulk delete locks the
 * collection and would then need an on-screen unlock (STACK.md).
 */
final class SecretServiceKeyring implements KeyringBackend {
  static final String DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default";
  private static final String NO_PROMPT = "/";

  private final DBusConnection connection;
  private final TransportEncryption transport;
  private final Service service;
  private final Collection collection;
  private final String busDescription;

  private SecretServiceKeyring(
      DBusConnection connection,
      TransportEncryption transport,
      Service service,
      Collection collection,
      String busDescription) {
    this.connection = connection;
    this.transport = transport;
    this.service = service;
    this.collection = collection;
    this.busDescription = busDescription;
  }

  /**
   * Connects and opens an encrypted session.
   *
   * @param busAddress a D-Bus address, or blank for the session bus of the environment ({@code
   *     DBUS_SESSION_BUS_ADDRESS})
   */
  static SecretServiceKeyring open(String busAddress) {
    DBusConnection conn = null;
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    // dbus-java finds its socket transport with ServiceLoader on the context class loader
    thread.setContextClassLoader(SecretServiceKeyring.class.getClassLoader());
    try {
      boolean session = busAddress == null || busAddress.isBlank();
      conn =
          (session
                  ? DBusConnectionBuilder.forSessionBus()
                  : DBusConnectionBuilder.forAddress(busAddress.trim()))
              .withShared(false)
              .build();
      TransportEncryption te = new TransportEncryption(conn);
      te.initialize();
      if (!te.openSession()) {
        throw unavailable("the Secret Service refused an encrypted session");
      }
      te.generateSessionKey();
      Service service = te.getService();
      Collection collection = new Collection(new ObjectPath("", DEFAULT_COLLECTION), service);
      SecretServiceKeyring keyring =
          new SecretServiceKeyring(
              conn, te, service, collection, session ? "the session bus" : "the configured bus");
      keyring.ensureUnlocked();
      return keyring;
    } catch (SecretStoreException e) {
      closeQuietly(conn);
      throw e;
    } catch (Exception | LinkageError e) {
      closeQuietly(conn);
      throw unavailable(
          "no Secret Service on "
              + (busAddress == null || busAddress.isBlank() ? "the session bus" : "the given bus")
              + " ("
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + firstLine(e.getMessage()))
              + ")");
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  @Override
  public String describe() {
    return "Secret Service on " + busDescription;
  }

  @Override
  public Optional<byte[]> read(String id) {
    List<ObjectPath> items = search(attributes(id));
    if (items.isEmpty()) {
      return Optional.empty();
    }
    Item item = new Item(items.get(0), service);
    Secret secret = item.getSecret(service.getSession().getPath());
    if (secret == null) {
      throw unavailable("the Secret Service returned no value for an item (keyring locked?)");
    }
    char[] chars = null;
    try {
      chars = transport.decrypt(secret);
      Map<String, String> attrs = item.getAttributes();
      String encoding = attrs == null ? null : attrs.get("encoding");
      return Optional.of(decode(chars, encoding));
    } catch (SecretStoreException e) {
      throw e;
    } catch (Exception e) {
      throw unavailable(
          "cannot decrypt a Secret Service value (" + e.getClass().getSimpleName() + ")");
    } finally {
      if (chars != null) {
        Arrays.fill(chars, '\0');
      }
      secret.clear();
    }
  }

  @Override
  public void write(String id, byte[] value) {
    ensureUnlocked();
    boolean text = isUtf8(value);
    byte[] payload = text ? value.clone() : Base64.getEncoder().encode(value); // ASCII, valid UTF-8
    Secret secret = null;
    try {
      secret = transport.encrypt(payload, StandardCharsets.UTF_8);
      Map<String, String> attrs = attributes(id);
      attrs.put("encoding", text ? "utf8" : "base64");
      Map<String, Variant> properties = Item.createProperties(SERVICE + ": " + id, attrs);
      Pair<ObjectPath, ObjectPath> created = collection.createItem(properties, secret, true);
      if (created == null) {
        throw unavailable("the Secret Service did not store the item");
      }
      if (created.b != null && !NO_PROMPT.equals(created.b.getPath())) {
        throw unavailable("the Secret Service asked for an interactive prompt to store an item");
      }
    } catch (SecretStoreException e) {
      throw e;
    } catch (Exception e) {
      throw unavailable("cannot encrypt a value for the Secret Service");
    } finally {
      Arrays.fill(payload, (byte) 0);
      if (secret != null) {
        secret.clear();
      }
    }
  }

  @Override
  public boolean remove(String id) {
    List<ObjectPath> items = search(attributes(id));
    for (ObjectPath path : items) {
      ObjectPath prompt = new Item(path, service).delete();
      if (prompt == null) {
        throw unavailable("the Secret Service did not delete an item");
      }
      if (!NO_PROMPT.equals(prompt.getPath())) {
        throw unavailable("the Secret Service asked for an interactive prompt to delete an item");
      }
    }
    return !items.isEmpty();
  }

  @Override
  public List<String> list() {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("service", SERVICE);
    List<String> ids = new ArrayList<>();
    for (ObjectPath path : search(query)) {
      Map<String, String> attrs = new Item(path, service).getAttributes();
      if (attrs == null) {
        throw unavailable("the Secret Service did not list an item's attributes");
      }
      String id = attrs.get("id");
      if (id != null && KeyringSecretStore.ID.matcher(id).matches()) {
        ids.add(id);
      }
    }
    return ids;
  }

  @Override
  public void close() {
    try {
      transport.clear();
      if (service.getSession() != null) {
        service.getSession().close();
      }
    } catch (RuntimeException e) {
      // the bus may already be gone; nothing secret is left in this process
    }
    closeQuietly(connection);
  }

  /** Test aid: locks the default collection (gnome-keyring locks without a prompt). */
  void lockForTest() {
    ObjectPath real = service.readAlias("default");
    service.lock(List.of(real));
  }

  private void ensureUnlocked() {
    Boolean locked;
    try {
      locked = collection.isLocked();
    } catch (RuntimeException e) {
      throw unavailable("the Secret Service has no default collection (keyring not set up?)");
    }
    if (locked == null || locked) {
      throw unavailable(
          "the default keyring collection is locked; unlock it (log in to the desktop session)");
    }
  }

  /** The matching items, refusing when any of them is locked. */
  private List<ObjectPath> search(Map<String, String> attributes) {
    Pair<List<ObjectPath>, List<ObjectPath>> found = service.searchItems(attributes);
    if (found == null) {
      throw unavailable("the Secret Service did not answer a search");
    }
    if (found.b != null && !found.b.isEmpty()) {
      throw unavailable("a matching keyring item is locked; unlock the keyring");
    }
    return found.a == null ? List.of() : found.a;
  }

  private static Map<String, String> attributes(String id) {
    Map<String, String> attrs = new LinkedHashMap<>();
    attrs.put("service", SERVICE);
    attrs.put("id", id);
    return attrs;
  }

  static boolean isUtf8(byte[] value) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  static byte[] decode(char[] chars, String encoding) {
    ByteBuffer buf = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
    byte[] bytes = new byte[buf.remaining()];
    buf.get(bytes);
    if (buf.hasArray()) {
      Arrays.fill(buf.array(), (byte) 0);
    }
    if ("base64".equals(encoding)) {
      try {
        return Base64.getDecoder().decode(bytes);
      } catch (IllegalArgumentException e) {
        throw new SecretStoreException(
            SecretStoreException.SECRET_TAMPERED, "a keyring item marked base64 is not");
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
    return bytes;
  }

  private static void closeQuietly(DBusConnection conn) {
    if (conn != null) {
      try {
        conn.close();
      } catch (Exception e) {
        // closing a broken connection: nothing to do
      }
    }
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static SecretStoreException unavailable(String message) {
    return new SecretStoreException(SecretStoreException.SECRET_STORE_UNAVAILABLE, message);
  }
}
