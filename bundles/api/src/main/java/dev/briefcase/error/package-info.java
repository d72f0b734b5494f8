/**
 * The one error model of Briefcase: {@link dev.briefcase.error.BriefcaseException}, the coded base
 * of every family's exception, and the codes several families share.
 */
@Export
@Version("1.0.0")
package dev.briefcase.error;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
