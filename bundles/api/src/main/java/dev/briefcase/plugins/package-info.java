/** Plugin lifecycle: list, install, update, start, stop and uninstall plugin bundles at runtime. */
@Export
@Version("1.1.0")
package dev.briefcase.plugins;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
