package dev.briefcase.plugins;

/**
 * A refused or failed plugin change. Codes: {@code not_found}, {@code core_bundle}, {@code
 * invalid_bundle}, {@code already_installed}, {@code name_mismatch}, {@code start_failed}, {@code
 * stop_failed}.
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
