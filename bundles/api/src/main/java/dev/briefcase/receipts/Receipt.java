package dev.briefcase.receipts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One link of the chain (SPEC §6): {@code hashHex = hex SHA-256(ASCII(prevHashHex) ||
 * UTF-8(JCS(event)))}.
 *
 * @param id ascending from 1
 * @param ts when it was appended (not hashed; the event carries its own {@code ts})
 * @param prevHashHex the previous hash, 64 zeros for the first receipt
 * @param hashHex this receipt's hash
 * @param event the metadata of what happened; never secrets or raw output
 */
public record Receipt(long id, Instant ts, String prevHashHex, String hashHex, ObjectNode event) {}
