package dev.briefcase.runtime.launcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An OSGi feature (OSGi R8 Features, chapter 159) reduced to what the launcher uses: bundles with
 * start order, configurations, framework launching properties and variables. Immutable.
 *
 * @param id feature artifact id, for messages
 * @param bundles bundles in the order they are written
 * @param configurations PID (or {@code factoryPid~name}) to raw JSON properties, in order
 * @param frameworkProperties the {@code framework-launching-properties} extension, unsubstituted
 * @param variables the feature's {@code variables}: default values for {@code ${name}}
 */
public record Feature(
    String id,
    List<FeatureBundle> bundles,
    Map<String, ObjectNode> configurations,
    Map<String, String> frameworkProperties,
    Map<String, String> variables) {

  /** Copies every collection so the record stays immutable. */
  public Feature {
    bundles = List.copyOf(bundles);
    configurations = Collections.unmodifiableMap(new LinkedHashMap<>(configurations));
    frameworkProperties = Collections.unmodifiableMap(new LinkedHashMap<>(frameworkProperties));
    variables = Collections.unmodifiableMap(new LinkedHashMap<>(variables));
  }

  /**
   * Combines features into the one that is launched. Later features win: a bundle with the same
   * group and artifact id replaces the earlier entry (version and start order), a configuration
   * with the same PID replaces the earlier one as a whole, and properties and variables override.
   */
  public static Feature merge(Collection<Feature> features) {
    if (features.size() == 1) {
      return features.iterator().next();
    }
    Map<String, FeatureBundle> bundles = new LinkedHashMap<>();
    Map<String, ObjectNode> configurations = new LinkedHashMap<>();
    Map<String, String> properties = new LinkedHashMap<>();
    Map<String, String> variables = new LinkedHashMap<>();
    List<String> ids = new ArrayList<>();
    for (Feature feature : features) {
      ids.add(feature.id());
      feature.bundles().forEach(b -> bundles.put(b.key(), b));
      configurations.putAll(feature.configurations());
      properties.putAll(feature.frameworkProperties());
      variables.putAll(feature.variables());
    }
    return new Feature(
        String.join("+", ids),
        new ArrayList<>(bundles.values()),
        configurations,
        properties,
        variables);
  }
}
