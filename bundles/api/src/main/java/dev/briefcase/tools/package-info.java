/**
 * The gateway API: list tools and call them through the kernel pipeline. Everything here is safe to
 * show an agent.
 */
@Export
@Version("2.1.0")
package dev.briefcase.tools;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
