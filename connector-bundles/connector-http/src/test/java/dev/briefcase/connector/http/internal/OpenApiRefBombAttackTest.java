package dev.briefcase.connector.http.internal;

import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * The import counts inlined nodes (100,000) but not their size: one large string referenced from
 * many places is inlined by reference and multiplies when the schema is serialized (tools/list).
 */
public class OpenApiRefBombAttackTest {
  @Test
  public void aSmallDocumentCannotExpandIntoAHugeSchema() throws Exception {
    String big = "x".repeat(2 << 20); // 2 MiB, under the 4 MiB file cap
    StringBuilder props = new StringBuilder();
    int refs = 30_000;
    for (int i = 0; i < refs; i++) {
      props
          .append(i == 0 ? "" : ",")
          .append("\"p")
          .append(i)
          .append("\":{\"description\":{\"$ref\":\"#/components/d\"}}");
    }
    String doc =
        "{\"openapi\":\"3.1.0\",\"servers\":[{\"url\":\"https://api.example.com\"}],"
            + "\"components\":{\"d\":\""
            + big
            + "\"},"
            + "\"paths\":{\"/x\":{\"post\":{\"operationId\":\"bomb\",\"requestBody\":{\"content\":"
            + "{\"application/json\":{\"schema\":{\"type\":\"object\",\"properties\":{"
            + props
            + "}}}}}}}}}";
    Path dir = Files.createTempDirectory("bomb");
    Path file = Files.writeString(dir.resolve("api.json"), doc);
    List<HttpTool> tools;
    try {
      tools = OpenApiImport.load(file.toString(), List.of("bomb"), null, false, null);
    } catch (ToolsFileException e) {
      return; // refused: the defence holds
    }
    long limit = 64L << 20;
    long[] written = {0};
    OutputStream counting =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            written[0] += len;
            if (written[0] > limit) {
              throw new IOException("over");
            }
          }
        };
    try {
      new ObjectMapper().writeValue(counting, tools.get(0).spec().inputSchema());
    } catch (IOException e) {
      fail(
          "a "
              + (doc.length() >> 20)
              + " MiB document became an input schema over 64 MiB (about "
              + ((long) refs * big.length() >> 30)
              + " GiB)");
    }
  }
}
