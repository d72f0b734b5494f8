/** Payment rail plugins: answer a 402 challenge within a limit the kernel has already gated. */
@Export
@Version("3.1.0")
package dev.briefcase.payment;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
