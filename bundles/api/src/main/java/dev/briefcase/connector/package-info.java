/**
 * Connector plugins: bundles that contribute tools and execute calls the kernel has already
 * authorised.
 */
@Export
@Version("2.1.0")
package dev.briefcase.connector;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
