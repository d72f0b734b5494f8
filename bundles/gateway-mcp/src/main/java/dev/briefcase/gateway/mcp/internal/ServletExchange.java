package dev.briefcase.gateway.mcp.internal;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** {@link Exchange} over the Jakarta Servlet API; streams use asynchronous responses. */
final class ServletExchange implements Exchange {
  private final HttpServletRequest req;
  private final HttpServletResponse resp;

  ServletExchange(HttpServletRequest req, HttpServletResponse resp) {
    this.req = req;
    this.resp = resp;
  }

  @Override
  public String method() {
    return req.getMethod();
  }

  @Override
  public String header(String name) {
    return req.getHeader(name);
  }

  @Override
  public int localPort() {
    return req.getLocalPort();
  }

  @Override
  public String localAddress() {
    return req.getLocalAddr();
  }

  @Override
  public byte[] readBody(int max) throws IOException {
    if (req.getContentLengthLong() > max) {
      return null;
    }
    try (InputStream in = req.getInputStream()) {
      byte[] body = in.readNBytes(max + 1);
      return body.length > max ? null : body;
    }
  }

  @Override
  public void setHeader(String name, String value) {
    resp.setHeader(name, value);
  }

  @Override
  public void respond(int status, String contentType, byte[] body) throws IOException {
    resp.setStatus(status);
    resp.setHeader("Cache-Control", "no-store");
    if (contentType != null) {
      resp.setContentType(contentType);
    }
    if (body == null) {
      resp.setContentLength(0);
      return;
    }
    resp.setContentLength(body.length);
    ServletOutputStream out = resp.getOutputStream();
    out.write(body);
  }

  @Override
  public EventStream openStream() throws IOException {
    resp.setStatus(200);
    resp.setContentType("text/event-stream");
    resp.setCharacterEncoding("UTF-8");
    resp.setHeader("Cache-Control", "no-store");
    // the client must not wait for a buffer to fill before it sees an event
    resp.setHeader("X-Accel-Buffering", "no");
    AsyncContext async = req.startAsync();
    async.setTimeout(0);
    Stream stream = new Stream(async, resp.getOutputStream());
    async.addListener(stream);
    resp.flushBuffer();
    return stream;
  }

  /** An open SSE response; writes are serialised and fail once the response is closed. */
  private static final class Stream implements EventStream, AsyncListener {
    private static final byte[] EVENT = "event: message\ndata: ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.UTF_8);

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final List<Runnable> onClose = new ArrayList<>();
    private boolean closed;

    Stream(AsyncContext async, ServletOutputStream out) {
      this.async = async;
      this.out = out;
    }

    @Override
    public void send(String json) throws IOException {
      // JSON text never contains a raw newline, so one data: line carries the whole message
      write(EVENT, json.getBytes(StandardCharsets.UTF_8), END);
    }

    @Override
    public void comment(String text) throws IOException {
      write((": " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private synchronized void write(byte[]... parts) throws IOException {
      if (closed) {
        throw new IOException("stream closed");
      }
      try {
        for (byte[] p : parts) {
          out.write(p);
        }
        out.flush();
      } catch (IOException | RuntimeException e) {
        close();
        throw e instanceof IOException io ? io : new IOException(e);
      }
    }

    @Override
    public void close() {
      List<Runnable> actions;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        actions = new ArrayList<>(onClose);
        onClose.clear();
        try {
          async.complete();
        } catch (IllegalStateException e) {
          // already completed by the container
        }
      }
      actions.forEach(Runnable::run);
    }

    @Override
    public synchronized boolean isOpen() {
      return !closed;
    }

    @Override
    public void onClose(Runnable action) {
      synchronized (this) {
        if (!closed) {
          onClose.add(action);
          return;
        }
      }
      action.run();
    }

    @Override
    public void onComplete(AsyncEvent event) {
      close();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      close();
    }

    @Override
    public void onError(AsyncEvent event) {
      close();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      // not restarted
    }
  }
}
