package dev.briefcase.payhelper;

/** Opens the EVM signer for one request: the key store's key, or a PKCS#11 token's. */
@FunctionalInterface
public interface EvmSigners {
  /** A signer and what to release after it. */
  interface Handle extends AutoCloseable {
    EvmSigner signer();

    @Override
    void close();
  }

  Handle open(KeyStoreFile store) throws HelperException;

  /** The key imported into the key store. */
  EvmSigners KEY_STORE =
      store -> {
        if (store.evmKey() == null) {
          throw new HelperException(
              HelperException.KEY_UNAVAILABLE, "no EVM key in the key store (import-evm-key)");
        }
        EvmSigner s = EvmSigner.software(store.evmKey());
        return new Handle() {
          @Override
          public EvmSigner signer() {
            return s;
          }

          @Override
          public void close() {}
        };
      };

  /** The key pair on a PKCS#11 token; the PIN is read from its file per request. */
  static EvmSigners pkcs11(HelperConfig.Pkcs11 cfg) {
    return store -> {
      char[] pin = PinFile.read(cfg.pinFile());
      Pkcs11EvmKey key;
      try {
        key = Pkcs11EvmKey.open(cfg, pin);
      } finally {
        java.util.Arrays.fill(pin, '\0');
      }
      return new Handle() {
        @Override
        public EvmSigner signer() {
          return key;
        }

        @Override
        public void close() {
          key.close();
        }
      };
    };
  }
}
