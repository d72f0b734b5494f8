/**
 * JSON values as plain Java objects, so a plugin SPI can carry a JSON Schema, call arguments or a
 * tool result without tying a plugin to a JSON library or to one of its major versions. See {@link
 * dev.briefcase.json.JsonTree} for the mapping.
 */
@Export
@Version("1.0.0")
package dev.briefcase.json;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
