/** Daily spend limits per tool category, in micro-USD. */
@Export
@Version("1.0.0")
package dev.briefcase.budgets;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
