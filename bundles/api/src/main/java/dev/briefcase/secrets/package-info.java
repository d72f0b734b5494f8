/** Secret store plugins and the Sensitive wrapper that never prints its value. */
@Export
@Version("2.0.0")
package dev.briefcase.secrets;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
