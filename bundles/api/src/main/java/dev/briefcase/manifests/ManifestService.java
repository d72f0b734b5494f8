package dev.briefcase.manifests;

import dev.briefcase.tools.ToolManifest;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Reads and changes tool manifests (SPEC §3), provided by the kernel. A tool without a stored
 * manifest is deny-all. Every change writes a {@code manifest_update} receipt. Thread-safe.
 */
@ProviderType
public interface ManifestService {

  /** The manifest in force for a tool: the stored one, else deny-all. */
  ToolManifest effective(String toolId);

  /** Whether an operator stored a manifest for this tool. */
  boolean stored(String toolId);

  /**
   * Stores a manifest; the next call to the tool runs under it.
   *
   * @param actor who changed it, recorded in the receipt
   * @throws IllegalArgumentException when the manifest is not valid ({@link ManifestCodec#check})
   */
  ToolManifest put(ToolManifest manifest, String actor);
}
