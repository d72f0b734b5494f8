/**
 * Key custody: the kernel's directory of role keys (identity, proof of possession, per-server DPoP)
 * held by signer backends. Callers name a role and only ever see handles and public keys.
 */
@Export
@Version("2.0.0")
package dev.briefcase.keys;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
