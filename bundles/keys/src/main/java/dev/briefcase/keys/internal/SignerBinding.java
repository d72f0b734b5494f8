package dev.briefcase.keys.internal;

import dev.briefcase.keys.KeyException;
import dev.briefcase.signer.Signer;
import org.osgi.service.component.ComponentServiceObjects;

/**
 * One registered signer. The service object is fetched on first use, not at binding, so a signer
 * whose activation is slow (the secret store behind it) does not slow down the directory's start.
 * Thread-safe.
 */
final class SignerBinding {
  private final ComponentServiceObjects<Signer> objects;
  private final String id;
  private final int ranking;
  private final long serviceId;
  private volatile Signer signer;

  SignerBinding(ComponentServiceObjects<Signer> objects, String id, int ranking, long serviceId) {
    this.objects = objects;
    this.id = id;
    this.ranking = ranking;
    this.serviceId = serviceId;
  }

  String id() {
    return id;
  }

  int ranking() {
    return ranking;
  }

  long serviceId() {
    return serviceId;
  }

  Signer signer() throws KeyException {
    Signer s = signer;
    if (s == null) {
      synchronized (this) {
        s = signer;
        if (s == null) {
          try {
            s = objects.getService();
          } catch (RuntimeException e) {
            s = null;
          }
          if (s == null) {
            throw new KeyException(
                KeyException.BACKEND_UNAVAILABLE, "signer " + id + " did not activate");
          }
          signer = s;
        }
      }
    }
    return s;
  }

  /** Whether the signer says it is hardware-backed; false when it cannot be reached. */
  boolean hardwareBacked() {
    try {
      return signer().hardwareBacked();
    } catch (RuntimeException e) {
      return false;
    }
  }

  synchronized void release() {
    Signer s = signer;
    signer = null;
    if (s != null) {
      try {
        objects.ungetService(s);
      } catch (RuntimeException e) {
        // the service is going away anyway
      }
    }
  }
}
