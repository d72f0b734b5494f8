package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.intParam;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.receipts.VerifyResult;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code /v1/receipts}: a page of receipts, {@code POST verify} (409 with the result when the chain
 * is broken) and {@code GET export} as NDJSON after an id.
 */
final class ReceiptsResource implements Router.Resource {
  private final Backends backends;

  ReceiptsResource(Backends backends) {
    this.backends = backends;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      requireMethod(ex, "GET");
      Map<String, String> q = ex.query();
      int limit = (int) intParam(q, "limit", 50, 1, 500);
      long offset = intParam(q, "offset", 0, 0, Long.MAX_VALUE);
      ArrayNode arr = Views.JSON.createArrayNode();
      need(backends.receipts(), "receipts")
          .list(limit, offset)
          .forEach(r -> arr.add(Views.receipt(r)));
      ex.send(200, wrap("receipts", arr));
      return;
    }
    if (p.length == 3 && p[2].equals("verify")) {
      requireMethod(ex, "POST");
      VerifyResult v = need(backends.receipts(), "receipts").verify();
      ex.send(v.ok() ? 200 : 409, Views.verify(v));
      return;
    }
    if (p.length == 3 && p[2].equals("export")) {
      requireMethod(ex, "GET");
      long after = intParam(ex.query(), "after_id", 0, 0, Long.MAX_VALUE);
      ReceiptLog log = need(backends.receipts(), "receipts");
      try (Writer w =
          new OutputStreamWriter(ex.stream(200, "application/x-ndjson"), StandardCharsets.UTF_8)) {
        log.export(after, w);
      }
      return;
    }
    throw HttpError.notFound();
  }
}
