"""How pytest-xdist shares the tests out: each Spark group on one worker, the rest singly.

Two Spark groups: the local-session cases (`spark`) and the cluster cases
(`spark_thrift`). The cluster cases need no shared Java process, but one
worker running them all starts one cluster (about 1.9 GB, 25-40 s) and builds
one template, where two workers would start and build two; the two groups
land on different workers, so the local session and the cluster run side by
side.

The `dg dev` tests (tests/ui/) are not a group: each has its own `dg dev`,
home and ports. Most of their time is waiting for Dagster's daemons (the
backfill daemon's 30 s loop, sensor ticks, run monitoring), so `run_order`
spreads them out: with one worker more than there are cores (pyproject's
`-n 3`), about one worker at a time waits in a `dg dev` test while the
others keep the cores busy.

Each worker that reaches a Spark test starts a Java process and builds its own
Spark template (the raw tables and every unpartitioned model: minutes), so
the Spark cases must run on one worker: one Java process, one template.

xdist's own way to say so, `xdist_group` with `--dist loadgroup`, does
nothing with pytest 9.2 and pytest-xdist 3.8: xdist's worker hook appends
"@<group>" to `item._nodeid`, and pytest 9 keeps a node's id in `item._id`,
so the suffix never reaches the controller and every test is its own group
(even xdist's documented decorator example; pytest-xdist issue #1386,
unfixed in 3.8). Ordering hooks (`tryfirst`) cannot help, and
`--dist worksteal` has no groups at all: an idle worker steals half of the
other's queue, Spark cases included.

So `--dist loadgroup` (pyproject's addopts) gets this scheduler instead
(conftest's `pytest_xdist_make_scheduler`): xdist's loadgroup scheduling, the
group read from the test id the controller does see, the `spark` parameter
that `pytest_generate_tests` gives `adapter`. Every other test is a
group of one, handed to whichever worker has two or fewer tests left, in
the collection's order (`--no-loadscope-reorder`: conftest's order,
`run_order`). Nothing is stolen back, so a worker's queue is never more than
a few short tests behind the others'.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from xdist.scheduler import LoadGroupScheduling

from tests.support.warehouse import SPARK, SPARK_THRIFT


def spark_group(nodeid: str) -> str | None:
    """A test id's Spark group (`spark` or `spark_thrift` among its parameter ids), or None."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    ids = nodeid[nodeid.rindex("[") + 1 : -1].split("-")
    return next((group for group in (SPARK, SPARK_THRIFT) if group in ids), None)


def is_spark_case(nodeid: str) -> bool:
    """Whether a test id is a Spark case, on the local session or on the cluster."""
    return spark_group(nodeid) is not None


# The tests that start a real `dg dev`.
DG_DEV_TESTS = "tests/ui/"


def run_order(
    items: list[pytest.Item], is_long: Callable[[pytest.Item], bool]
) -> list[pytest.Item]:
    """The order xdist hands the tests out in: the other long tests (`is_long`) first,
    then the Spark cases, then the rest; and the `dg dev` tests, as collected, spread
    evenly through the first two thirds of that order.

    A `dg dev` test is minutes of mostly waiting: spread out, they overlap
    the other tests' work rather than each other's waits, and the last one
    starts two thirds of the way through, so no worker runs one alone at
    the end. The same for every worker, as xdist requires.
    """
    waiting = [item for item in items if item.nodeid.startswith(DG_DEV_TESTS)]
    others = [item for item in items if not item.nodeid.startswith(DG_DEV_TESTS)]
    others.sort(key=lambda item: (not is_long(item), not is_spark_case(item.nodeid)))
    if not waiting:
        return others
    step = max(1, len(others) * 2 // 3 // len(waiting))
    ordered = []
    for index, item in enumerate(others):
        if index % step == 0 and waiting:
            ordered.append(waiting.pop(0))
        ordered.append(item)
    return ordered + waiting


class GroupsOnOneWorker(LoadGroupScheduling):
    """xdist's loadgroup scheduling with two groups: the local Spark cases, the cluster
    cases."""

    def _split_scope(self, nodeid: str) -> str:
        return spark_group(nodeid) or nodeid
