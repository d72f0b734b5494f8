package dev.briefcase.signer.tpm2.internal;

import dev.briefcase.signer.SignerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Supplier;
import tss.Tpm;
import tss.TpmDevice;
import tss.TpmException;
import tss.tpm.CreatePrimaryResponse;
import tss.tpm.CreateResponse;
import tss.tpm.TPM2B_PRIVATE;
import tss.tpm.TPMA_OBJECT;
import tss.tpm.TPMS_ECC_PARMS;
import tss.tpm.TPMS_ECC_POINT;
import tss.tpm.TPMS_NULL_ASYM_SCHEME;
import tss.tpm.TPMS_NULL_KDF_SCHEME;
import tss.tpm.TPMS_PCR_SELECTION;
import tss.tpm.TPMS_SENSITIVE_CREATE;
import tss.tpm.TPMS_SIGNATURE_ECC;
import tss.tpm.TPMS_SIG_SCHEME_ECDSA;
import tss.tpm.TPMT_PUBLIC;
import tss.tpm.TPMT_SYM_DEF_OBJECT;
import tss.tpm.TPMT_TK_HASHCHECK;
import tss.tpm.TPMU_SIGNATURE;
import tss.tpm.TPM_ALG_ID;
import tss.tpm.TPM_ECC_CURVE;
import tss.tpm.TPM_HANDLE;
import tss.tpm.TPM_RC;
import tss.tpm.TPM_RH;

/**
 * One connection to a TPM and the few commands this signer needs. Not thread-safe: the signer
 * serializes calls. Every command runs with TSS.Java's {@code _allowErrors()} so a failure comes
 * back as a response code (TSS.Java would otherwise also print it to stdout).
 *
 * <p>Nothing stays loaded between calls: the storage primary is re-derived from the owner seed
 * (same template, same key) and every loaded object is flushed in {@code finally}, because swtpm
 * and {@code /dev/tpm0} have no resource manager and run out of object slots otherwise.
 */
final class TpmSession implements AutoCloseable {
  static final int CONNECT_TIMEOUT_MS = 2000;
  static final int READ_TIMEOUT_MS = 30_000;
  private static final byte BLOB_VERSION = 1;

  /** A key as the TPM returned it: its public area and its private area sealed by the TPM. */
  record KeyBlob(TPMT_PUBLIC publicArea, byte[] sealedPrivate) {

    byte[] encode() {
      byte[] pub = publicArea.toBytes();
      return ByteBuffer.allocate(1 + 2 + pub.length + 2 + sealedPrivate.length)
          .put(BLOB_VERSION)
          .putShort((short) pub.length)
          .put(pub)
          .putShort((short) sealedPrivate.length)
          .put(sealedPrivate)
          .array();
    }

    static KeyBlob decode(byte[] bytes) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      if (b.get() != BLOB_VERSION) {
        throw new IllegalArgumentException("unknown TPM key blob version");
      }
      byte[] pub = new byte[Short.toUnsignedInt(b.getShort())];
      b.get(pub);
      byte[] priv = new byte[Short.toUnsignedInt(b.getShort())];
      b.get(priv);
      if (b.hasRemaining()) {
        throw new IllegalArgumentException("trailing bytes in TPM key blob");
      }
      return new KeyBlob(TPMT_PUBLIC.fromBytes(pub), priv);
    }

    /** The public key as an uncompressed SEC1 point (65 bytes). */
    byte[] sec1() {
      TPMS_ECC_POINT p = (TPMS_ECC_POINT) publicArea.unique;
      byte[] out = new byte[65];
      out[0] = 0x04;
      System.arraycopy(fixed32(p.x), 0, out, 1, 32);
      System.arraycopy(fixed32(p.y), 0, out, 33, 32);
      return out;
    }
  }

  private final Tpm tpm;
  private final TpmDevice device;

  private TpmSession(TpmDevice device) {
    this.device = device;
    this.tpm = new Tpm();
    tpm._setDevice(device);
  }

  /**
   * Opens {@code tcp:host:port} or a character device path such as {@code /dev/tpmrm0}; fails with
   * {@code tpm_unreachable} (or {@code invalid_config}) without side effects.
   */
  static TpmSession open(String device) throws SignerException {
    String d = device == null ? "" : device.trim();
    try {
      if (d.startsWith("tcp:")) {
        int colon = d.lastIndexOf(':');
        if (colon <= 4) {
          throw new SignerException(
              SignerException.INVALID_CONFIG, "device must be tcp:<host>:<port>");
        }
        int port;
        try {
          port = Integer.parseInt(d.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw new SignerException(
              SignerException.INVALID_CONFIG, "device must be tcp:<host>:<port>");
        }
        return new TpmSession(
            new TcpTpmDevice(d.substring(4, colon), port, CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS));
      }
      if (d.startsWith("/")) {
        return new TpmSession(new CharTpmDevice(d));
      }
      throw new SignerException(
          SignerException.INVALID_CONFIG, "device must be tcp:<host>:<port> or a path");
    } catch (IOException e) {
      throw new SignerException(
          SignerException.TPM_UNREACHABLE,
          "TPM not reachable at " + d + ": " + e.getClass().getSimpleName());
    }
  }

  /** Creates a P-256 signing key under the owner storage primary; nothing stays in the TPM. */
  KeyBlob createSigningKey() throws SignerException {
    TPM_HANDLE primary = createPrimary();
    try {
      CreateResponse r =
          run(
              "Create",
              () ->
                  tpm.Create(
                      primary,
                      new TPMS_SENSITIVE_CREATE(new byte[0], new byte[0]),
                      signingTemplate(),
                      new byte[0],
                      new TPMS_PCR_SELECTION[0]));
      return new KeyBlob(r.outPublic, r.outPrivate.buffer);
    } finally {
      flush(primary);
    }
  }

  /** ECDSA over a SHA-256 digest with a key loaded for this call only; raw {@code r || s}. */
  byte[] sign(KeyBlob key, byte[] digest) throws SignerException {
    TPM_HANDLE primary = createPrimary();
    try {
      TPM_HANDLE k = load(primary, key);
      try {
        TPMU_SIGNATURE sig =
            run(
                "Sign",
                () ->
                    tpm.Sign(
                        k,
                        digest,
                        new TPMS_SIG_SCHEME_ECDSA(TPM_ALG_ID.SHA256),
                        TPMT_TK_HASHCHECK.nullTicket()));
        if (!(sig instanceof TPMS_SIGNATURE_ECC ecc)) {
          throw new SignerException(
              SignerException.TPM_ERROR, "the TPM returned a non-ECDSA signature");
        }
        byte[] out = new byte[64];
        System.arraycopy(fixed32(ecc.signatureR), 0, out, 0, 32);
        System.arraycopy(fixed32(ecc.signatureS), 0, out, 32, 32);
        return out;
      } finally {
        flush(k);
      }
    } finally {
      flush(primary);
    }
  }

  /** The object attributes the TPM reports for the loaded key (not the stored copy). */
  TPMA_OBJECT loadedAttributes(KeyBlob key) throws SignerException {
    TPM_HANDLE primary = createPrimary();
    try {
      TPM_HANDLE k = load(primary, key);
      try {
        return run("ReadPublic", () -> tpm.ReadPublic(k)).outPublic.objectAttributes;
      } finally {
        flush(k);
      }
    } finally {
      flush(primary);
    }
  }

  private TPM_HANDLE load(TPM_HANDLE parent, KeyBlob key) throws SignerException {
    return run(
        "Load", () -> tpm.Load(parent, new TPM2B_PRIVATE(key.sealedPrivate()), key.publicArea()));
  }

  private TPM_HANDLE createPrimary() throws SignerException {
    CreatePrimaryResponse r =
        run(
            "CreatePrimary",
            () ->
                tpm.CreatePrimary(
                    TPM_HANDLE.from(TPM_RH.OWNER),
                    new TPMS_SENSITIVE_CREATE(new byte[0], new byte[0]),
                    storageTemplate(),
                    new byte[0],
                    new TPMS_PCR_SELECTION[0]));
    return r.handle;
  }

  private void flush(TPM_HANDLE handle) throws SignerException {
    run(
        "FlushContext",
        () -> {
          tpm.FlushContext(handle);
          return Boolean.TRUE;
        });
  }

  /** The TCG-recommended ECC P-256 storage root template (restricted decrypt, AES-128-CFB). */
  static TPMT_PUBLIC storageTemplate() {
    return new TPMT_PUBLIC(
        TPM_ALG_ID.SHA256,
        new TPMA_OBJECT(
            TPMA_OBJECT.fixedTPM,
            TPMA_OBJECT.fixedParent,
            TPMA_OBJECT.sensitiveDataOrigin,
            TPMA_OBJECT.userWithAuth,
            TPMA_OBJECT.noDA,
            TPMA_OBJECT.restricted,
            TPMA_OBJECT.decrypt),
        new byte[0],
        new TPMS_ECC_PARMS(
            new TPMT_SYM_DEF_OBJECT(TPM_ALG_ID.AES, 128, TPM_ALG_ID.CFB),
            new TPMS_NULL_ASYM_SCHEME(),
            TPM_ECC_CURVE.NIST_P256,
            new TPMS_NULL_KDF_SCHEME()),
        new TPMS_ECC_POINT(new byte[32], new byte[32]));
  }

  /** A P-256 ECDSA/SHA-256 signing key that never leaves this TPM and cannot decrypt. */
  static TPMT_PUBLIC signingTemplate() {
    return new TPMT_PUBLIC(
        TPM_ALG_ID.SHA256,
        new TPMA_OBJECT(
            TPMA_OBJECT.fixedTPM,
            TPMA_OBJECT.fixedParent,
            TPMA_OBJECT.sensitiveDataOrigin,
            TPMA_OBJECT.userWithAuth,
            TPMA_OBJECT.sign),
        new byte[0],
        new TPMS_ECC_PARMS(
            TPMT_SYM_DEF_OBJECT.nullObject(),
            new TPMS_SIG_SCHEME_ECDSA(TPM_ALG_ID.SHA256),
            TPM_ECC_CURVE.NIST_P256,
            new TPMS_NULL_KDF_SCHEME()),
        new TPMS_ECC_POINT(new byte[0], new byte[0]));
  }

  /**
   * Runs one command. An I/O failure means the connection is gone ({@code tpm_unreachable}); a TPM
   * error code is reported once and never retried (a retried wrong authorization would walk the TPM
   * into dictionary-attack lockout).
   */
  private <T> T run(String command, Supplier<T> call) throws SignerException {
    T result;
    try {
      tpm._allowErrors();
      result = call.get();
    } catch (UncheckedIOException e) {
      throw new SignerException(
          SignerException.TPM_UNREACHABLE,
          "lost the TPM connection during "
              + command
              + ": "
              + e.getCause().getClass().getSimpleName());
    } catch (TpmException e) {
      throw new SignerException(
          SignerException.TPM_ERROR, "TPM2_" + command + " failed: " + rcName(e));
    }
    TPM_RC rc = tpm._getLastResponseCode();
    if (rc != null && rc != TPM_RC.SUCCESS) {
      String code =
          rc == TPM_RC.LOCKOUT
              ? SignerException.TPM_LOCKED_OUT
              : rc == TPM_RC.BAD_AUTH || rc == TPM_RC.AUTH_FAIL
                  ? SignerException.TPM_AUTH_FAILED
                  : SignerException.TPM_ERROR;
      throw new SignerException(code, "TPM2_" + command + " failed: " + rc.name());
    }
    if (result == null) {
      throw new SignerException(SignerException.TPM_ERROR, "TPM2_" + command + " returned nothing");
    }
    return result;
  }

  private static String rcName(TpmException e) {
    return e.ResponseCode != null ? e.ResponseCode.name() : "malformed response";
  }

  static byte[] fixed32(byte[] v) {
    if (v.length == 32) {
      return v;
    }
    if (v.length > 32) {
      for (int i = 0; i < v.length - 32; i++) {
        if (v[i] != 0) {
          throw new IllegalArgumentException("value longer than 32 bytes");
        }
      }
      return Arrays.copyOfRange(v, v.length - 32, v.length);
    }
    byte[] out = new byte[32];
    System.arraycopy(v, 0, out, 32 - v.length, v.length);
    return out;
  }

  @Override
  public void close() {
    device.close();
  }
}
