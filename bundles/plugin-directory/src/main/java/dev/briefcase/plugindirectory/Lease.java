package dev.briefcase.plugindirectory;

/**
 * What one call got from {@link PluginDirectory#lease}: a plugin, held until {@link #close()}, or
 * the reason there is none. Closing twice is harmless. For one thread.
 *
 * @param <S> what the family binds
 */
public final class Lease<S> implements AutoCloseable {
  private final Plugin<S> plugin;
  private final String departedName;
  private boolean open;

  Lease(Plugin<S> plugin, String departedName) {
    this.plugin = plugin;
    this.departedName = departedName;
    this.open = plugin != null;
  }

  /**
   * No plugin for this call, as if {@code departedName} had left without a replacement: for a
   * family that finds the leased plugin unusable and gives up rather than wait.
   */
  public static <S> Lease<S> unavailable(String departedName) {
    return new Lease<>(null, java.util.Objects.requireNonNull(departedName, "departedName"));
  }

  /** The plugin to run the call on, or {@code null}. */
  public Plugin<S> plugin() {
    return plugin;
  }

  /** The service to run the call on, or {@code null}. */
  public S service() {
    return plugin == null ? null : plugin.service();
  }

  /** True when no plugin serves the key and none did since start. */
  public boolean unknown() {
    return plugin == null && departedName == null;
  }

  /**
   * True when the plugin that served the key left and nothing replaced it in time: the call fails
   * with {@value PluginDirectory#BACKEND_UNAVAILABLE}.
   */
  public boolean unavailable() {
    return plugin == null && departedName != null;
  }

  /** The name of the plugin that served the key last, for an unavailable key. */
  public String departedName() {
    return departedName;
  }

  @Override
  public void close() {
    if (open) {
      open = false;
      plugin.exit();
    }
  }
}
