/** The profile the framework runs in, read the same way by every bundle. */
@Export
@Version("1.0.0")
package dev.briefcase.profile;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
