/** Signer plugins: keys held by a backend and used only through handles. */
@Export
@Version("2.0.0")
package dev.briefcase.signer;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
