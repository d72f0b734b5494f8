/**
 * The kernel's embedded database: serialized write transactions, concurrent reads, versioned
 * migrations.
 */
@Export
@Version("1.2.0")
package dev.briefcase.store;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
