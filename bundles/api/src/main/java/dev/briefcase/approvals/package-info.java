/** Human approvals of tool calls: list, approve, deny and watch them. */
@Export
@Version("2.0.0")
package dev.briefcase.approvals;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
