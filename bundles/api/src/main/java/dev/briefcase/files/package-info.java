/**
 * Paths no tool may ever touch, whatever its manifest allows (SPEC §3): the kernel names them, file
 * tools refuse them with {@code sandbox_violation:protected_path}.
 */
@Export
@Version("1.0.0")
package dev.briefcase.files;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
