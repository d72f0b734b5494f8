package dev.briefcase.keys.internal;

import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.signer.Signer;
import dev.briefcase.store.Store;
import java.time.Clock;
import java.util.Map;

/**
 * The real key directory for the issuer tests, with one signer bound the way DS would bind it (the
 * directory's binding entry point is package-private, hence this class's package).
 */
public final class VcTestKeys {
  private VcTestKeys() {}

  public static KeyDirectory create(Store store, ReceiptLog receipts, Signer signer) {
    KeyCustody custody =
        new KeyCustody(store, receipts, Clock.systemUTC(), p -> null, DirectoryTimings.DEFAULT);
    custody.addSigner(
        signer, Map.of(Signer.ID, "software", "service.id", 1L, "service.ranking", 0));
    return custody;
  }
}
