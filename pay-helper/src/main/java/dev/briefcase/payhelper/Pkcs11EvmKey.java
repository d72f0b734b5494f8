package dev.briefcase.payhelper;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_EC_POINT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKK_EC;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_ECDSA;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_EC_KEY_PAIR_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PRIVATE_KEY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PUBLIC_KEY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_ALREADY_LOGGED_IN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKU_USER;

import dev.briefcase.x402.Eip3009;
import java.math.BigInteger;
import java.util.Arrays;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;
import org.xipki.pkcs11.wrapper.TokenException;

/**
 * An EVM key that never leaves a PKCS#11 token (e.g. SoftHSM2): a non-extractable secp256k1 key
 * pair found by label. The token signs the EIP-712 digest (CKM_ECDSA, raw r‖s); the x402 library
 * normalises s and recovers v against the address of the token's public key.
 */
final class Pkcs11EvmKey implements EvmSigner, AutoCloseable {
  /** DER OID of secp256k1 (1.3.132.0.10), the CKA_EC_PARAMS of the key. */
  static final byte[] SECP256K1 = {0x06, 0x05, 0x2b, (byte) 0x81, 0x04, 0x00, 0x0a};

  private final PKCS11Module module;
  private final Session session;
  private final long privateKey;
  private final String address;

  private Pkcs11EvmKey(PKCS11Module module, Session session, long privateKey, String address) {
    this.module = module;
    this.session = session;
    this.privateKey = privateKey;
    this.address = address;
  }

  /** Opens the token and finds the key pair labelled {@code keyLabel}. */
  static Pkcs11EvmKey open(HelperConfig.Pkcs11 cfg, char[] pin) throws HelperException {
    return openOrGenerate(cfg, pin, false);
  }

  /** Generates a non-extractable secp256k1 key pair labelled as configured; refuses a second. */
  static Pkcs11EvmKey generate(HelperConfig.Pkcs11 cfg, char[] pin) throws HelperException {
    return openOrGenerate(cfg, pin, true);
  }

  private static Pkcs11EvmKey openOrGenerate(HelperConfig.Pkcs11 cfg, char[] pin, boolean generate)
      throws HelperException {
    PKCS11Module module;
    try {
      module = PKCS11Module.getInstance(cfg.module());
      try {
        module.initialize();
      } catch (PKCS11Exception e) {
        if (e.getErrorCode() != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
          throw e;
        }
      }
    } catch (Exception | LinkageError e) {
      throw unavailable("the PKCS#11 module cannot be loaded");
    }
    Session session = null;
    try {
      Token token = null;
      for (Slot slot : module.getSlotList(true)) {
        Token t = slot.getToken();
        if (t != null && cfg.tokenLabel().equals(t.getTokenInfo().getLabel().trim())) {
          token = t;
        }
      }
      if (token == null) {
        throw unavailable("no PKCS#11 token labelled " + cfg.tokenLabel());
      }
      session = token.openSession(true);
      try {
        session.login(CKU_USER, pin);
      } catch (PKCS11Exception e) {
        if (e.getErrorCode() != CKR_USER_ALREADY_LOGGED_IN) {
          throw unavailable("the token refused the PIN");
        }
      }
      long[] privs = find(session, CKO_PRIVATE_KEY, cfg.keyLabel());
      long[] pubs = find(session, CKO_PUBLIC_KEY, cfg.keyLabel());
      if (generate) {
        if (privs.length != 0 || pubs.length != 0) {
          throw unavailable("the token already holds a key labelled " + cfg.keyLabel());
        }
        AttributeVector pub =
            new AttributeVector()
                .class_(CKO_PUBLIC_KEY)
                .keyType(CKK_EC)
                .token(true)
                .private_(false)
                .verify(true)
                .ecParams(SECP256K1)
                .label(cfg.keyLabel());
        AttributeVector priv =
            new AttributeVector()
                .class_(CKO_PRIVATE_KEY)
                .keyType(CKK_EC)
                .token(true)
                .private_(true)
                .sensitive(true)
                .extractable(false)
                .sign(true)
                .label(cfg.keyLabel());
        var pair =
            session.generateKeyPair(
                new Mechanism(CKM_EC_KEY_PAIR_GEN), new KeyPairTemplate(priv, pub));
        privs = new long[] {pair.getPrivateKey()};
        pubs = new long[] {pair.getPublicKey()};
      }
      if (privs.length != 1 || pubs.length != 1) {
        throw unavailable("no single key pair labelled " + cfg.keyLabel() + " on the token");
      }
      byte[] point = session.getAttrValues(pubs[0], CKA_EC_POINT).ecPoint();
      if (point != null && point.length == 67 && point[0] == 0x04 && point[1] == 65) {
        point = Arrays.copyOfRange(point, 2, point.length); // DER OCTET STRING around the point
      }
      if (point == null || point.length != 65 || point[0] != 0x04) {
        throw unavailable("the token's key is not an uncompressed secp256k1 point");
      }
      String address =
          Eip3009.address(new BigInteger(1, Arrays.copyOfRange(point, 1, point.length)));
      return new Pkcs11EvmKey(module, session, privs[0], address);
    } catch (HelperException e) {
      close(module, session);
      throw e;
    } catch (TokenException | RuntimeException e) {
      close(module, session);
      throw unavailable("PKCS#11 token access failed: " + e.getClass().getSimpleName());
    }
  }

  private static long[] find(Session s, long cls, String label) throws PKCS11Exception {
    return s.findObjectsSingle(new AttributeVector().class_(cls).label(label), 2);
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public String sign(byte[] digest) throws HelperException {
    try {
      return Eip3009.sign(
          digest,
          d -> {
            byte[] rs = session.signSingle(new Mechanism(CKM_ECDSA), privateKey, d);
            if (rs.length != 64) {
              throw new IllegalStateException("not a raw r||s signature");
            }
            return new BigInteger[] {
              new BigInteger(1, Arrays.copyOfRange(rs, 0, 32)),
              new BigInteger(1, Arrays.copyOfRange(rs, 32, 64))
            };
          },
          address);
    } catch (Exception e) {
      throw unavailable("the token could not sign: " + e.getClass().getSimpleName());
    }
  }

  @Override
  public void close() {
    close(module, session);
  }

  private static void close(PKCS11Module module, Session session) {
    if (session != null) {
      try {
        session.closeSession();
      } catch (PKCS11Exception | RuntimeException ignored) {
        // finalising the module closes it too
      }
    }
    try {
      module.finalize(null);
    } catch (PKCS11Exception | RuntimeException ignored) {
      // nothing left to release
    }
  }

  private static HelperException unavailable(String message) {
    return new HelperException(HelperException.KEY_UNAVAILABLE, message);
  }
}
