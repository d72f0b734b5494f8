package dev.briefcase.plugins;

import java.io.InputStream;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The one door for changing the installed plugins. Every change — and every refusal — writes a
 * receipt naming the bundle, its version, the SHA-256 of the installed bytes and who asked.
 * Thread-safe; changes are serialized.
 */
@ProviderType
public interface PluginService {

  /** Every installed bundle, by bundle id. */
  List<PluginInfo> list();

  /**
   * Installs and starts a bundle from its bytes.
   *
   * @param actor who asked, e.g. {@code admin-api}
   * @throws PluginException {@code invalid_bundle} for bytes that are not a bundle, {@code
   *     malformed_plugin} for a zip whose local headers and central directory could be read
   *     differently, {@code plugin_too_large} over the entry-count or inflated-size cap, {@code
   *     untrusted_plugin} in the strict profile for a jar not signed by a trusted vendor, {@code
   *     already_installed} for a symbolic name that is installed, {@code start_failed} when it does
   *     not resolve or start (it is then uninstalled again)
   */
  PluginInfo install(InputStream jar, String actor) throws PluginException;

  /**
   * Installs and starts a bundle from its bytes, as {@link #install(InputStream, String)}, naming
   * where the bytes came from in the install's receipts (and its refusals').
   *
   * @param source the {@code file:} or {@code https:} URL the bytes were read from, or {@code null}
   * @since 1.1
   */
  PluginInfo install(InputStream jar, String actor, String source) throws PluginException;

  /** Replaces a plugin bundle with new bytes of the same symbolic name. */
  PluginInfo update(long bundleId, InputStream jar, String actor) throws PluginException;

  /** Starts a plugin bundle. */
  PluginInfo start(long bundleId, String actor) throws PluginException;

  /** Stops a plugin bundle; its tools disappear and calls to them fail fast. */
  PluginInfo stop(long bundleId, String actor) throws PluginException;

  /** Uninstalls a plugin bundle. */
  void uninstall(long bundleId, String actor) throws PluginException;
}
