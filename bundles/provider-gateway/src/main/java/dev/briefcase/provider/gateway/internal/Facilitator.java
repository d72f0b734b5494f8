package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/** An x402 facilitator: {@code POST /verify} and {@code POST /settle} with a JSON body. */
interface Facilitator {
  /**
   * The facilitator's JSON answer to {@code body} at {@code path}; an {@link IOException} when it
   * cannot be reached, times out or answers something that is not a JSON object.
   */
  JsonNode post(String path, JsonNode body) throws IOException, InterruptedException;
}
