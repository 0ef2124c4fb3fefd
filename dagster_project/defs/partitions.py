"""The partitions definitions: each defined here and nowhere else.

Dates and lists come from dbt_project.yml's vars (`shared_vars()`), so
Dagster offers exactly the partitions dbt's macros accept.
"""

import dagster as dg

from dagster_project.lib.project import shared_vars

# Time: keys are "YYYY-MM-01"; the last partition is the last complete month (UTC).
monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=shared_vars().partitions_start_date)

# Category: one partition per payment method.
payment_method_partitions = dg.StaticPartitionsDefinition(list(shared_vars().payment_methods))

# Two-dimensional: one partition per (month, payment method) cell. Keys are
# dg.MultiPartitionKey({"month": "2018-03-01", "payment_method": "coupon"}),
# shown as "2018-03-01|coupon" (dimensions sorted by name).
month_and_method_partitions = dg.MultiPartitionsDefinition(
    {"month": monthly_partitions, "payment_method": payment_method_partitions}
)

# Dynamic: one partition per store id (as text), added by the new_stores sensor
# when a store shows up in raw_stores, and never removed by it. Ids, not names:
# an id never changes, and a name could be reused or renamed.
store_partitions = dg.DynamicPartitionsDefinition(name="stores")


def all_months_window() -> dg.TimeWindow:
    """The window of every monthly partition now: its first month up to the current one."""
    first = monthly_partitions.get_first_partition_window()
    last = monthly_partitions.get_last_partition_window()
    assert first is not None and last is not None  # a start in the past has partitions
    return dg.TimeWindow(first.start, last.end)
