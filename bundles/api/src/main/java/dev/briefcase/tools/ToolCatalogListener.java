package dev.briefcase.tools;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told when the set of tools changes (a connector arrived, left or was
 * replaced). Called on a kernel thread; implementations must return quickly and not throw.
 */
@ConsumerType
public interface ToolCatalogListener {
  void toolsChanged();
}
