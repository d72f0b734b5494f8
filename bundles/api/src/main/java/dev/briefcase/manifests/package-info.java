/** Tool manifests for operators: read and change what each tool may reach (SPEC §3). */
@Export
@Version("1.0.0")
package dev.briefcase.manifests;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
