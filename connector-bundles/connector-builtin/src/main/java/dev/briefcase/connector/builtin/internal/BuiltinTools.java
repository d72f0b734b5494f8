package dev.briefcase.connector.builtin.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.SandboxViolationException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.files.ProtectedPaths;
import dev.briefcase.fsguard.ConfinedFiles;
import dev.briefcase.fsguard.FsRefusal;
import dev.briefcase.store.Store;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The built-in tools of SPEC §3 — {@code echo}, {@code note_add}, {@code notes_list} and {@code
 * file_read} — as an ordinary connector plugin: the kernel itself ships no tool.
 */
@Component(property = Connector.ID + "=builtin")
public final class BuiltinTools implements Connector {
  static final int MAX_NOTES_LISTED = 50;

  /** Only to read the schemas below from their text; calls and results are plain JSON trees. */
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final List<ToolSpec> TOOLS =
      List.of(
          new ToolSpec(
              "echo",
              "Echo",
              "Returns the text it is given.",
              schema(
                  "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\","
                      + "\"maxLength\":4096}},\"required\":[\"text\"],"
                      + "\"additionalProperties\":false}"),
              schema(
                  "{\"type\":\"object\",\"properties\":{\"echo\":{\"type\":\"string\"}},"
                      + "\"required\":[\"echo\"]}"),
              ToolSpec.READ,
              0,
              OutputFirewall.allowAll()),
          new ToolSpec(
              "note_add",
              "Add note",
              "Stores a short note and returns its id.",
              schema(
                  "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\","
                      + "\"minLength\":1,\"maxLength\":4096}},\"required\":[\"text\"],"
                      + "\"additionalProperties\":false}"),
              schema(
                  "{\"type\":\"object\",\"properties\":{\"note_id\":{\"type\":\"string\"}},"
                      + "\"required\":[\"note_id\"]}"),
              ToolSpec.WRITE,
              0,
              OutputFirewall.allowAll()),
          new ToolSpec(
              "notes_list",
              "List notes",
              "Lists the ids of the newest notes (at most 50).",
              schema("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"),
              schema(
                  "{\"type\":\"object\",\"properties\":{\"note_ids\":{\"type\":\"array\","
                      + "\"items\":{\"type\":\"string\"},\"maxItems\":50}},"
                      + "\"required\":[\"note_ids\"]}"),
              ToolSpec.READ,
              0,
              OutputFirewall.allowAll()),
          new ToolSpec(
              "file_read",
              "Read file",
              "Reads a file inside the directories its manifest allows.",
              schema(
                  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\","
                      + "\"minLength\":1,\"maxLength\":4096}},\"required\":[\"path\"],"
                      + "\"additionalProperties\":false}"),
              schema(
                  "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"},"
                      + "\"bytes\":{\"type\":\"integer\"},\"data_b64\":{\"type\":\"string\"}}}"),
              ToolSpec.WRITE,
              0,
              OutputFirewall.allowPaths("ok", "bytes", "data_b64")));

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE notes (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, text TEXT NOT"
              + " NULL)");

  private final Store store;
  private final ProtectedPaths protectedPaths;
  private volatile boolean active = true;

  @Activate
  public BuiltinTools(@Reference Store store, @Reference ProtectedPaths protectedPaths) {
    this.store = store;
    this.protectedPaths = protectedPaths;
    store.migrate("connector.builtin.notes", MIGRATIONS);
  }

  /** For tests and benchmarks without a kernel: no protected paths beyond the manifest's. */
  public BuiltinTools(Store store) {
    this(store, List::of);
  }

  @Deactivate
  void deactivate() {
    active = false;
  }

  @Override
  public List<ToolSpec> tools() {
    return TOOLS;
  }

  @Override
  public ToolResult execute(ToolInvocation call) throws ToolException {
    if (!active) {
      throw ToolException.unavailable("builtin tools are stopping");
    }
    Map<String, Object> args = call.args();
    switch (call.toolId()) {
      case "echo":
        return ToolResult.of(Map.of("echo", text(args, "text")), "local:echo");
      case "note_add":
        return ToolResult.of(addNote(text(args, "text")), "local:notes");
      case "notes_list":
        return ToolResult.of(listNotes(), "local:notes");
      case "file_read":
        return ToolResult.of(
            readFile(
                text(args, "path"),
                call.manifest().allowedPathPrefixes(),
                protectedPaths.paths(),
                call.manifest().maxOutputBytes()),
            "local:file_read");
      default:
        throw new ToolException(ToolException.UNKNOWN_TOOL, "unknown_tool");
    }
  }

  /** A string argument; the schema requires it, so a missing one reads as empty. */
  private static String text(Map<String, Object> args, String name) {
    Object value = args.get(name);
    return value instanceof String s ? s : "";
  }

  private Map<String, Object> addNote(String text) {
    String id = UUID.randomUUID().toString();
    String now = Instant.now().toString();
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("INSERT INTO notes (id, created_at, text) VALUES (?,?,?)")) {
            ps.setString(1, id);
            ps.setString(2, now);
            ps.setString(3, text);
            return ps.executeUpdate();
          }
        });
    return Map.of("note_id", id);
  }

  private Map<String, Object> listNotes() {
    List<String> ids =
        store.read(
            c -> {
              List<String> out = new ArrayList<>();
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT id FROM notes ORDER BY created_at DESC, rowid DESC LIMIT "
                              + MAX_NOTES_LISTED);
                  ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  out.add(rs.getString(1));
                }
              }
              return out;
            });
    return Map.of("note_ids", ids);
  }

  /**
   * Reads a file through {@link ConfinedFiles}: the prefix is checked on the normalized path before
   * the filesystem is touched (a path outside gets the same answer whether it exists or not), the
   * file is reached without following a link out of the prefixes, the opened file is the one
   * checked, and a protected path is refused whatever the prefixes allow.
   */
  static Map<String, Object> readFile(
      String requested, List<String> allowedPrefixes, List<Path> protectedPaths, long maxBytes)
      throws ToolException {
    if (allowedPrefixes.isEmpty()) {
      throw new SandboxViolationException("filesystem access is not allowed for file_read");
    }
    // base64 grows 4/3: read no more than the output limit can carry
    long limit = Math.max(0, maxBytes * 3 / 4 - 64);
    byte[] data;
    try {
      data = new ConfinedFiles(allowedPrefixes, protectedPaths).read(requested, limit);
    } catch (IllegalArgumentException e) {
      throw new SandboxViolationException("invalid filesystem prefix");
    } catch (FsRefusal e) {
      throw refusal(e);
    } catch (NoSuchFileException e) {
      throw new ToolException(ToolException.NOT_FOUND, "file not found");
    } catch (IOException e) {
      throw new ToolException(ToolException.IO_ERROR, "file could not be read");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ok", true);
    out.put("bytes", data.length);
    out.put("data_b64", Base64.getEncoder().encodeToString(data));
    return out;
  }

  private static ToolException refusal(FsRefusal e) {
    switch (e.code()) {
      case FsRefusal.NOT_A_FILE:
        return new ToolException(ToolException.NOT_A_FILE, "not a regular file");
      case FsRefusal.TOO_LARGE:
        return new SandboxViolationException("output_too_large");
      case FsRefusal.PROTECTED:
        return new SandboxViolationException(ProtectedPaths.CODE);
      case FsRefusal.NOT_ABSOLUTE:
        return new SandboxViolationException("path must be absolute");
      case FsRefusal.INVALID:
        return new SandboxViolationException("invalid path");
      case FsRefusal.CHANGED:
        return new SandboxViolationException("path changed while it was opened");
      default:
        // outside the prefixes, a link leading out of them, a link loop: one answer for all
        return new SandboxViolationException("path is outside the allowed directories");
    }
  }

  private static Map<String, Object> schema(String json) {
    try {
      return JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new IllegalStateException("built-in schema does not parse", e);
    }
  }
}
