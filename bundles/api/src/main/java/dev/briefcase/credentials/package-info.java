/**
 * Credentials behind the boundary (SPEC §8.1, §8.3, §9, §15): the provider registry, OAuth login
 * (start, exchange, revoke) and fresh access credentials for outbound calls. A {@link
 * dev.briefcase.credentials.CredentialService} never returns a refresh token, a code or a verifier;
 * the only value it hands out is an {@link dev.briefcase.credentials.AccessCredential}, for the
 * request it was asked for. The service is registered by {@code bundles/oauth}; this package is
 * only its contract.
 *
 * <p>Step 8 of the tool call (credential strategy): a tool declares a {@link
 * dev.briefcase.credentials.CredentialNeed}; the kernel looks up the {@link
 * dev.briefcase.credentials.CredentialStrategy} plugin of that kind for the call and hands the
 * connector a {@link dev.briefcase.credentials.CallCredential} bound to that need and the tool's
 * manifest. A connector never reads the secret store and never chooses a provider.
 */
@Export
@Version("1.3.0")
package dev.briefcase.credentials;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
