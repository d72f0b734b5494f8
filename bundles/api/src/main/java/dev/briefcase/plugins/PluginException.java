package dev.briefcase.plugins;

/**
 * A refused or failed plugin change. Codes: {@code not_found}, {@code core_bundle}, {@code
 * invalid_bundle}, {@code malformed_plugin}, {@code plugin_too_large}, {@code untrusted_plugin},
 * {@code already_installed}, {@code name_mismatch}, {@code start_failed}, {@code stop_failed}.
 */
public class PluginException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public PluginException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
