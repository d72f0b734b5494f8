package dev.briefcase.receipts.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.store.Durability;
import dev.briefcase.store.internal.SqliteStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The promise of {@code process} durability: a receipt whose append returned survives the process
 * being killed (SIGKILL, no shutdown, no close). A child JVM appends and prints each acknowledged
 * id; it is killed mid-stream, and every id it printed must be in the reopened, verifying chain.
 */
public class ProcessDurabilityCrashTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** The child: appends with process durability until killed, printing each acknowledged id. */
  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    SqliteStore store = new SqliteStore(Path.of(args[0]));
    SqliteReceiptLog log = new SqliteReceiptLog(store, 512, 30_000, Durability.PROCESS);
    ObjectMapper mapper = new ObjectMapper();
    for (long n = 0; ; n++) {
      ObjectNode e = mapper.createObjectNode();
      e.put("type", "tool_call");
      e.put("n", n);
      e.put("ts", "2025-06-01T12:00:00Z");
      out.println(log.append(e).id());
    }
  }

  @Test
  public void acknowledgedReceiptsSurviveAKilledProcess() throws Exception {
    Path db = tmp.getRoot().toPath().resolve("briefcase.db");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                ProcessDurabilityCrashTest.class.getName(),
                db.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<Long> acknowledged = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        acknowledged.add(Long.parseLong(line.trim()));
        if (acknowledged.size() == 300) {
          child.destroyForcibly(); // SIGKILL while it keeps appending
          break;
        }
      }
    } finally {
      child.destroyForcibly();
      assertTrue("child did not die", child.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(300, acknowledged.size());

    SqliteStore store = new SqliteStore(db);
    SqliteReceiptLog log = new SqliteReceiptLog(store, 512, 30_000);
    try {
      VerifyResult result = log.verify();
      assertTrue(result.toString(), result.ok());
      long last = acknowledged.get(acknowledged.size() - 1);
      assertTrue(
          "every acknowledged receipt is there: " + result.count() + " < " + last,
          result.count() >= last);
      // and the chain goes on from what the killed process left
      assertEquals(result.count() + 1, log.append(event()).id());
      assertTrue(log.verify().ok());
    } finally {
      log.close();
      store.close();
    }
  }

  private static ObjectNode event() {
    ObjectNode e = new ObjectMapper().createObjectNode();
    e.put("type", "tool_call");
    e.put("ts", "2025-06-01T12:00:00Z");
    return e;
  }
}
