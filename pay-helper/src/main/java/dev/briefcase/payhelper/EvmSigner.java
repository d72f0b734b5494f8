package dev.briefcase.payhelper;

import dev.briefcase.x402.Eip3009;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;

/** Signs EIP-712 digests for one EVM address: a key from the key store, or one on a token. */
interface EvmSigner {
  /** The checksummed address. */
  String address();

  /** 65-byte r‖s‖v (low S, v 27/28) as 0x-hex. */
  String sign(byte[] digest) throws HelperException;

  /** The software signer of a key store key. */
  static EvmSigner software(ECKeyPair key) {
    String address = Keys.toChecksumAddress(Keys.getAddress(key));
    return new EvmSigner() {
      @Override
      public String address() {
        return address;
      }

      @Override
      public String sign(byte[] digest) {
        return Eip3009.sign(digest, key);
      }
    };
  }
}
