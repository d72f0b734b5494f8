/** Policy decisions (Cedar) and policy compiler plugins, which only ever propose. */
@Export
@Version("2.0.0")
package dev.briefcase.policy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
