package dev.briefcase.files;

import java.nio.file.Path;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The paths the kernel always refuses to tools (SPEC §3): the data directory and everything in it
 * (tokens, {@code master.key}, secrets, the database, {@code deploy/}, {@code plugins/}, {@code
 * trust/}), the plugin trust directory, the passphrase file and the secret and receipt stores
 * wherever they are configured. Every tool that touches the filesystem (the built-in {@code
 * file_read}, the sandbox's {@code fs_read}/{@code fs_write}) refuses a path that is, or lies
 * inside, one of them — even when a manifest allows {@code /} — with {@value #CODE}.
 *
 * <p>Provided by the kernel; thread-safe; the list is recomputed from the configuration in force,
 * so ask for it per call rather than keeping it.
 */
@ProviderType
public interface ProtectedPaths {

  /** The message of the {@code sandbox_violation} a protected path gets. */
  String CODE = "protected_path";

  /** Absolute, normalized paths (directories or files), never {@code null}. */
  List<Path> paths();
}
