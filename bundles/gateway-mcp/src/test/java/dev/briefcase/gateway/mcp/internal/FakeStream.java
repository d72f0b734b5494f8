package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** An in-memory {@link EventStream} that records what was sent. */
final class FakeStream implements EventStream {
  private final List<String> messages = new ArrayList<>();
  private final List<String> comments = new ArrayList<>();
  private final List<Runnable> onClose = new ArrayList<>();
  private final CountDownLatch closedLatch = new CountDownLatch(1);
  private boolean closed;

  @Override
  public synchronized void send(String json) throws IOException {
    if (closed) {
      throw new IOException("closed");
    }
    messages.add(json);
    notifyAll();
  }

  @Override
  public synchronized void comment(String text) throws IOException {
    if (closed) {
      throw new IOException("closed");
    }
    comments.add(text);
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
      notifyAll();
    }
    actions.forEach(Runnable::run);
    closedLatch.countDown();
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

  boolean awaitClosed() throws InterruptedException {
    return closedLatch.await(10, TimeUnit.SECONDS);
  }

  /** Waits until at least {@code n} messages were sent (10 s at most). */
  synchronized List<JsonNode> awaitMessages(int n) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (messages.size() < n && System.currentTimeMillis() < deadline) {
      wait(100);
    }
    return messages();
  }

  synchronized List<JsonNode> messages() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String m : messages) {
      out.add(JsonRpc.JSON.readTree(m));
    }
    return out;
  }

  synchronized List<String> comments() {
    return new ArrayList<>(comments);
  }
}
