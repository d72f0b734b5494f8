package dev.briefcase.plugins;

import dev.briefcase.error.BriefcaseException;

/**
 * A refused or failed plugin change, with one of the codes below or the shared {@value #NOT_FOUND}.
 */
public class PluginException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** A core bundle cannot be changed through the plugin service. */
  public static final String CORE_BUNDLE = "core_bundle";

  /** The upload is not a bundle that can be installed. */
  public static final String INVALID_BUNDLE = "invalid_bundle";

  /** The jar's structure is refused (duplicate or unsafe entries, bad signature files). */
  public static final String MALFORMED_PLUGIN = "malformed_plugin";

  /** The jar or what it unpacks to is larger than allowed. */
  public static final String PLUGIN_TOO_LARGE = "plugin_too_large";

  /** The jar is not signed by a trusted key. */
  public static final String UNTRUSTED_PLUGIN = "untrusted_plugin";

  /** A bundle with that symbolic name is installed already. */
  public static final String ALREADY_INSTALLED = "already_installed";

  /** An update carries another symbolic name than the bundle it replaces. */
  public static final String NAME_MISMATCH = "name_mismatch";

  /** The bundle did not start. */
  public static final String START_FAILED = "start_failed";

  /** The bundle did not stop. */
  public static final String STOP_FAILED = "stop_failed";

  /** The plugin's bytes or record could not be stored. */
  public static final String STORAGE_FAILED = "storage_failed";

  public PluginException(String code, String message) {
    super(code, message);
  }
}
