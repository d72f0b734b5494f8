package dev.briefcase.runtime.launcher;

/**
 * One bundle entry of a feature: its artifact id ({@code
 * group:artifact[:type[:classifier]]:version}) and its start order, which becomes the bundle's
 * start level.
 *
 * @param id the artifact id exactly as written in the feature
 * @param groupId Maven group id
 * @param artifactId Maven artifact id
 * @param type artifact type, {@code jar} unless the id names one
 * @param classifier classifier or {@code null}
 * @param version artifact version
 * @param startOrder start level, at least 1
 */
public record FeatureBundle(
    String id,
    String groupId,
    String artifactId,
    String type,
    String classifier,
    String version,
    int startOrder) {

  /**
   * Parses an artifact id of the OSGi Features specification.
   *
   * @throws IllegalArgumentException if the id does not have 3 to 5 non-empty parts
   */
  public static FeatureBundle parse(String id, int startOrder) {
    String[] parts = id.split(":", -1);
    for (String part : parts) {
      if (part.isBlank()) {
        throw new IllegalArgumentException("invalid artifact id '" + id + "'");
      }
    }
    return switch (parts.length) {
      case 3 -> new FeatureBundle(id, parts[0], parts[1], "jar", null, parts[2], startOrder);
      case 4 -> new FeatureBundle(id, parts[0], parts[1], parts[2], null, parts[3], startOrder);
      case 5 -> new FeatureBundle(id, parts[0], parts[1], parts[2], parts[3], parts[4], startOrder);
      default ->
          throw new IllegalArgumentException(
              "invalid artifact id '" + id + "' (expected group:artifact:version)");
    };
  }

  /** The file name Maven gives this artifact: {@code artifactId-version[-classifier].type}. */
  public String fileName() {
    return artifactId + "-" + version + (classifier == null ? "" : "-" + classifier) + "." + type;
  }

  /** Group and artifact id (and classifier): two entries with the same key are one bundle. */
  public String key() {
    return groupId + ":" + artifactId + (classifier == null ? "" : ":" + classifier);
  }
}
