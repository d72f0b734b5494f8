package dev.briefcase.runtime.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/** The server-sent events parser and the bounded line reader. */
public class SseReaderTest {
  @Test
  public void parsesEventsCommentsIdsAndRetry() throws Exception {
    String stream =
        ": hello\r\n\r\nid: a\r\ndata:\r\n\r\nevent: message\ndata: {\"x\":\ndata:1}\nretry: 250\n\n"
            + "id: b\ndata:2\n\ndata: tail";
    SseReader r = new SseReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)));
    SseReader.Event priming = r.next();
    assertEquals("a", priming.id());
    assertEquals("", priming.data());
    SseReader.Event joined = r.next();
    assertEquals("{\"x\":\n1}", joined.data());
    assertNull(joined.id());
    assertEquals(250, r.retryMillis());
    assertEquals("2", r.next().data());
    assertEquals("b", r.lastEventId());
    assertEquals("tail", r.next().data()); // an unterminated last event is still handed over
    assertNull(r.next());
  }

  @Test
  public void lineReaderSplitsStripsCrAndSkipsOverlongLines() throws Exception {
    byte[] input = "ab\r\n0123456789\ncd\nlast".getBytes(StandardCharsets.UTF_8);
    LineReader r = new LineReader(new ByteArrayInputStream(input), 5);
    assertEquals("ab", new String(r.next(), StandardCharsets.UTF_8));
    assertEquals(LineReader.TOO_LONG, r.next());
    assertEquals("cd", new String(r.next(), StandardCharsets.UTF_8));
    assertEquals("last", new String(r.next(), StandardCharsets.UTF_8));
    assertNull(r.next());
  }
}
