/** Risk assessors: advisory plugins that may only tighten a decision, never loosen it. */
@Export
@Version("2.0.0")
package dev.briefcase.risk;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
