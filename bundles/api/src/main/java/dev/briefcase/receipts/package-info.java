/**
 * The hash-chained receipt log: one receipt for every tool-call attempt and every administrative
 * change.
 */
@Export
@Version("1.1.0")
package dev.briefcase.receipts;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
