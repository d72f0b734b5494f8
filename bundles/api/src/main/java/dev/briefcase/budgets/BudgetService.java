package dev.briefcase.budgets;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Daily spend limits (SPEC §5), provided by the kernel. Thread-safe. */
@ProviderType
public interface BudgetService {

  /** Every configured category, sorted by name. */
  List<Budget> list();

  /**
   * Sets a category's daily limit and writes a receipt.
   *
   * @throws IllegalArgumentException for a negative limit or an invalid category name
   */
  Budget set(String category, long dailyLimitMicroUsd);
}
