package dev.briefcase.examples.wordcount.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * An example connector: one tool, {@code text_stats}, that counts the words, lines and characters
 * of a text and names its most frequent words. Copy this class to start a connector of your own.
 *
 * <p>How the pieces fit:
 *
 * <ul>
 *   <li>{@code @Component} registers this class as a {@link Connector} service; the property {@code
 *       connector.id} names it in receipts and logs. Declarative Services creates it when the
 *       bundle starts and deactivates it when the bundle stops, updates or is uninstalled.
 *   <li>The kernel owns every check: it validates the arguments against the input schema, asks the
 *       Cedar policy, budgets and approvals, and writes the receipt. {@link #execute} only runs
 *       once all of that passed, with arguments that already match the schema.
 *   <li>The kernel drains a plugin before it stops it: calls already running finish here, new calls
 *       go to the replacement. After {@link #deactivate} a late call fails fast with {@code
 *       backend_unavailable} — never a hang.
 *   <li>Arguments, schemas and results are plain JSON trees ({@code dev.briefcase.json.JsonTree}):
 *       {@code Map}, {@code List}, {@code String}, {@code Number}, {@code Boolean} and {@code
 *       null}. The SPI needs no JSON library; this example uses Jackson only to read its schema
 *       files.
 * </ul>
 *
 * <p>Thread-safe: the kernel calls {@link #execute} from many threads at once; this class keeps no
 * per-call state in fields.
 */
@Component(property = Connector.ID + "=" + WordCountConnector.ID)
public final class WordCountConnector implements Connector {
  /** The {@code connector.id} of this plugin. */
  static final String ID = "example-wordcount";

  static final String TOOL = "text_stats";
  static final int DEFAULT_TOP = 3;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<ToolSpec> tools;
  private final String version;
  private volatile boolean active = true;

  /**
   * Constructor injection: DS hands in the bundle context; a connector that needs a kernel service
   * (for example a credential provider) takes it as another {@code @Reference} parameter here.
   */
  @Activate
  public WordCountConnector(BundleContext context) {
    this(context.getBundle().getVersion().toString());
  }

  /** For tests: no framework needed. */
  WordCountConnector(String version) {
    this.version = version;
    this.tools =
        List.of(
            new ToolSpec(
                TOOL,
                "Text statistics",
                "Counts the words, lines and characters of a text and lists its most frequent"
                    + " words.",
                schema("text_stats.input.json"),
                schema("text_stats.output.json"),
                // read: the default policy allows it without an approval; a tool that changes
                // something is WRITE, one that administers something ADMIN (always denied)
                ToolSpec.READ,
                0, // estimated cost in micro-USD: this tool is free
                // the output firewall: only these top-level fields ever reach the agent
                OutputFirewall.allowPaths("words", "lines", "characters", "top_words", "version")));
  }

  /** Loads a JSON Schema (2020-12) shipped inside the bundle, as a plain JSON tree. */
  private static Map<String, Object> schema(String resource) {
    try (InputStream in = WordCountConnector.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing schema resource " + resource);
      }
      return JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<ToolSpec> tools() {
    return tools; // stable for the life of the service, as the SPI asks
  }

  @Override
  public ToolResult execute(ToolInvocation invocation) throws ToolException {
    if (!active) {
      throw ToolException.unavailable("the word-count connector is stopped");
    }
    if (!TOOL.equals(invocation.toolId())) {
      // the kernel only routes our own tools here; refuse anything else with a stable code
      throw new ToolException(ToolException.UNKNOWN_TOOL, "not a tool of " + ID);
    }
    // already valid against text_stats.input.json: text is a string, top (if given) an integer
    Map<String, Object> args = invocation.args();
    String text = (String) args.get("text");
    int top = args.get("top") instanceof Number n ? n.intValue() : DEFAULT_TOP;

    Map<String, Object> out = new LinkedHashMap<>(); // keeps the members in this order
    out.put("words", words(text).length);
    out.put("lines", text.isEmpty() ? 0 : (int) text.lines().count());
    out.put("characters", text.codePointCount(0, text.length()));
    List<Object> topWords = new ArrayList<>();
    for (Map.Entry<String, Integer> e : mostFrequent(words(text), top)) {
      Map<String, Object> word = new LinkedHashMap<>();
      word.put("word", e.getKey());
      word.put("count", e.getValue());
      topWords.add(word);
    }
    out.put("top_words", topWords);
    out.put("version", version); // which build served the call: visible across hot swaps
    // the source becomes the result's provenance and the receipt's "source"
    return ToolResult.of(out, "local:" + TOOL);
  }

  /** DS calls this when the bundle stops; later calls fail fast. */
  @Deactivate
  void deactivate() {
    active = false;
  }

  private static String[] words(String text) {
    String trimmed = text.strip();
    return trimmed.isEmpty() ? new String[0] : trimmed.split("[^\\p{L}\\p{N}']+");
  }

  private static List<Map.Entry<String, Integer>> mostFrequent(String[] words, int top) {
    Map<String, Integer> counts = new HashMap<>();
    for (String w : words) {
      if (!w.isEmpty()) {
        counts.merge(w.toLowerCase(Locale.ROOT), 1, Integer::sum);
      }
    }
    // by count, then alphabetically, so the answer is deterministic
    return counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Integer>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(top)
        .toList();
  }
}
