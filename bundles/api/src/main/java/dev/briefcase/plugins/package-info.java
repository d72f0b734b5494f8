/** Plugin lifecycle: list, install, update, start, stop and uninstall plugin bundles at runtime. */
@Export
@Version("2.0.0")
package dev.briefcase.plugins;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
