package dev.briefcase.plugins;

import java.util.List;

/**
 * One installed bundle as an operator sees it.
 *
 * @param bundleId the framework's bundle id
 * @param symbolicName the Bundle-SymbolicName
 * @param version the Bundle-Version
 * @param state {@code installed}, {@code resolved}, {@code starting}, {@code active}, {@code
 *     stopping} or {@code uninstalled}
 * @param families the plugin families its services belong to ({@code connector}, {@code signer},
 *     {@code rail}, {@code compiler}, {@code secrets}, {@code risk}); empty for a library or core
 *     bundle
 * @param pluginIds the ids its plugin services publish ({@code connector.id}, {@code signer.id}…)
 * @param core whether the bundle belongs to the core deployment (the kernel refuses to stop or
 *     remove it through the plugin service)
 * @param location where it was installed from
 */
public record PluginInfo(
    long bundleId,
    String symbolicName,
    String version,
    String state,
    List<String> families,
    List<String> pluginIds,
    boolean core,
    String location) {}
