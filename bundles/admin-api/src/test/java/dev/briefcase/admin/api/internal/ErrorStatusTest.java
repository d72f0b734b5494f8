package dev.briefcase.admin.api.internal;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class ErrorStatusTest {
  @Test
  public void serverFailuresAreServerErrorsOnEveryRoute() {
    assertEquals(500, ErrorStatus.of("storage_failed"));
    assertEquals(500, ErrorStatus.of("internal_error"));
    assertEquals(503, ErrorStatus.of("receipt_failed"));
    assertEquals(503, ErrorStatus.of("backend_unavailable"));
    assertEquals(503, ErrorStatus.of("secret_store_unavailable"));
    assertEquals(503, ErrorStatus.of("tpm_error"));
    assertEquals(503, ErrorStatus.of("too_many_streams"));
    assertEquals(502, ErrorStatus.of("fetch_failed"));
  }

  @Test
  public void oneCodeOneStatus() {
    assertEquals(404, ErrorStatus.of("not_found"));
    assertEquals(404, new HttpError("not_found", "x").status);
    assertEquals(401, ErrorStatus.of("unauthorized"));
    assertEquals(405, ErrorStatus.of("method_not_allowed"));
    assertEquals(421, ErrorStatus.of("invalid_host"));
    assertEquals(413, ErrorStatus.of("body_too_large"));
    assertEquals(403, ErrorStatus.of("core_bundle"));
    assertEquals(409, ErrorStatus.of("already_decided"));
    assertEquals(409, ErrorStatus.of("key_exists"));
  }

  @Test
  public void aCodeTheTableDoesNotNameIsARefusal() {
    assertEquals(400, ErrorStatus.of("invalid_request"));
    assertEquals(400, ErrorStatus.of("untrusted_plugin"));
    assertEquals(400, ErrorStatus.of("invalid_cedar"));
    assertEquals(400, ErrorStatus.of("secret_too_large"));
  }
}
