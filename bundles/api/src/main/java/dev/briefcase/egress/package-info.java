/**
 * The egress API: the only way Briefcase code (the sandbox's {@code http_request}, connectors)
 * makes an outbound HTTP call. An {@link dev.briefcase.egress.EgressClient} enforces SPEC §1
 * invariant 5 and §11 network rules against an {@link dev.briefcase.egress.EgressPolicy}: https
 * only (http for loopback in dev mode), no redirects, no userinfo or fragment, host and path
 * allow-lists, DNS resolved once with every address checked against the refused ranges, the
 * connection made to the validated address, response size caps and timeouts. The client itself is
 * the service {@code dev.briefcase.egress} registers; this package is only its contract.
 */
@Export
@Version("1.0.0")
package dev.briefcase.egress;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
