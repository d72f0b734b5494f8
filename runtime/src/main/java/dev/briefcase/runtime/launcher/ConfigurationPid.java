package dev.briefcase.runtime.launcher;

/**
 * A configuration key of a feature: a plain PID, or {@code factoryPid~name} for a named factory
 * configuration (Config Admin 1.6 {@code getFactoryConfiguration(factoryPid, name, location)}).
 *
 * @param factoryPid the factory PID, or {@code null} for a singleton configuration
 * @param pid the PID for a singleton configuration, otherwise the factory configuration's name
 */
public record ConfigurationPid(String factoryPid, String pid) {

  /** Parses a feature configuration key. */
  public static ConfigurationPid parse(String key) {
    int tilde = key.indexOf('~');
    if (key.isBlank() || tilde == 0 || tilde == key.length() - 1) {
      throw new IllegalArgumentException("invalid configuration PID '" + key + "'");
    }
    return tilde < 0
        ? new ConfigurationPid(null, key)
        : new ConfigurationPid(key.substring(0, tilde), key.substring(tilde + 1));
  }

  /** Whether this names a factory configuration. */
  public boolean isFactory() {
    return factoryPid != null;
  }

  @Override
  public String toString() {
    return isFactory() ? factoryPid + "~" + pid : pid;
  }
}
