"""The UI journey in headless Chromium against a real `dg dev`.

Open orders_by_month, *Materialize…*, type a range of partitions, launch the
backfill, wait for the UI to say it succeeded, then check what the page shows
and, separately, the rows in DuckDB. Screenshots go to SCREENSHOTS_DIR when set
(`scripts/screenshots` sets docs/images), else to the test's temporary folder.

Chromium is Debian's (/usr/bin/chromium), never a Playwright download. Without
it the test fails when CI is set (.ci/run installs it and sets CI) and skips
otherwise, so a laptop without Chromium can still run `scripts/test`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.definitions import defs
from dagster_project.lib.project import REPO_ROOT
from harness.dg_dev import DG, new_dagster_home
from harness.oracle import expected_rows, model_rows
from tests.support.dagster_dev import dagster_env, running_dagster_dev
from tests.support.warehouse import TestWarehouse

# The asset checks of orders_by_month: its dbt tests and the reconciliation test.
CHECKS = sum(
    key.asset_key.to_user_string() == "orders_by_month"
    for key in defs.resolve_asset_graph().asset_check_keys
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What a person types in the partition dialog for January to April 2018. The
# UI's [a...b] includes both end keys, so [2018-01-01...2018-05-01] would be
# five months; dbt's window for these four is the half-open [2018-01-01, 2018-05-01).
RANGE_TEXT = "[2018-01-01...2018-04-01]"
VIEWPORT = {"width": 1400, "height": 860}
# The UI's first-visit community dialog would cover the page: dismissed as its
# own "Skip" button would (useStateWithStorage stores JSON).
SKIP_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', JSON.stringify('1'))"


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser() -> Iterator:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " Skipped because CI is not set.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def build_warehouse(dagster_home: Path, db: TestWarehouse) -> None:
    """Materialize everything unpartitioned through Dagster, as the first `scripts/dev` does."""
    new_dagster_home(dagster_home)
    result = subprocess.run(
        [str(DG), "launch", "--job", "warehouse"],
        cwd=REPO_ROOT,
        env=dagster_env(dagster_home, db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_backfill_journey_in_the_browser(
    raw_db: TestWarehouse, tmp_path: Path, browser, screenshots: Path
) -> None:
    home = tmp_path / "dagster_home"
    build_warehouse(home, raw_db)

    # Automation on, as scripts/dev starts it (its sensors every 5 s, so they tick
    # during the journey): the pages below show only the journey's own backfill.
    automation = {"AUTOMATION": "true", "AUTOMATION_INTERVAL_SECONDS": "5"}
    log = tmp_path / "dagster_dev.log"
    with running_dagster_dev(home, raw_db, log, automation=automation) as url:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(SKIP_COMMUNITY_DIALOG)
        page = context.new_page()
        page.set_default_timeout(60_000)

        page.goto(f"{url}/assets/orders_by_month")
        # Materialize…, then the range in the partition dialog.
        page.get_by_role("button", name="Materialize…").first.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("Launch runs to materialize orders_by_month").wait_for()
        # The dialog first offers only the last 90 days of partitions.
        dialog.get_by_role("button", name="Show all partitions").click()
        range_box = dialog.get_by_role("textbox").first
        range_box.fill(RANGE_TEXT)
        range_box.press("Enter")
        dialog.get_by_text("4 partitions", exact=True).wait_for()
        dialog.get_by_text("Backfills all partitions in a single run.").wait_for()
        dialog.screenshot(path=screenshots / "partition-picker.png")
        dialog.get_by_role("button", name="Launch backfill").click()

        # The toast links to the backfill's page; the daemon finishes it.
        page.get_by_text(re.compile(r"Created backfill \w+")).wait_for()
        view = page.get_by_role("link", name="View", exact=True)
        view.or_(page.get_by_role("button", name="View", exact=True)).first.click()
        page.wait_for_url(re.compile(r"/runs/b/\w+"))
        _wait_for_status(page, "Succeeded", timeout=300)
        # The page is a summary and a table: crop the empty space below.
        top = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": 320}
        page.screenshot(path=screenshots / "backfill-completed.png", clip=top)
        assert page.get_by_text("100% completed").is_visible()

        # The asset's partitions: four materialized, each with its own numbers.
        page.goto(f"{url}/assets/orders_by_month?view=partitions")
        page.get_by_text("Materialized (4)").wait_for()
        assert page.get_by_text("Failed (0)").is_visible()
        page.get_by_placeholder("Filter by name").fill("2018-03")
        # The list's names are drawn twice (one hidden, for measuring).
        page.get_by_text("2018-03-01", exact=True).filter(visible=True).first.click()
        page.get_by_text("revenue", exact=True).wait_for()
        march = expected_rows(raw_db, "2018-03-01", "2018-04-01")[dt.date(2018, 3, 1)]
        for number in (march["order_count"], march["customer_count"], march["revenue"]):
            assert page.get_by_text(str(number), exact=True).is_visible(), number
        page.screenshot(path=screenshots / "partition-metadata.png")

        # The dbt tests as asset checks, with this run's results.
        page.goto(f"{url}/assets/orders_by_month?view=checks")
        page.get_by_text(f"Checks ({CHECKS})").wait_for()
        page.get_by_text("Passed", exact=True).wait_for()
        page.screenshot(path=screenshots / "asset-checks.png")

        # The dbt source tests as checks on the raw asset, run by the warehouse job.
        page.goto(f"{url}/assets/raw_orders?view=checks")
        page.get_by_text("Checks (2)").wait_for()
        # The list truncates long names in the middle; the full name is drawn too, hidden.
        for test in ("not_null", "unique"):
            name = f"source_{test}_raw_raw_orders_id"
            page.get_by_text(name, exact=True).first.wait_for(state="attached")
        page.get_by_text("Passed", exact=True).wait_for()
        page.screenshot(path=screenshots / "raw-checks.png")

        # Column types: each column's data_type from the model's YAML.
        page.goto(f"{url}/assets/orders_by_month")
        last_column = page.get_by_text("average_order_value", exact=True).filter(visible=True)
        last_column.first.wait_for()
        assert page.get_by_text(re.compile(r"^decimal\(18, ?2\)$", re.I)).count() >= 6
        assert page.get_by_text(re.compile(r"^date$", re.I)).count() >= 1
        # The table's heading to the top of the scrolled pane: every column in view.
        heading = page.get_by_text("Columns", exact=True).filter(visible=True).first
        heading.evaluate("element => element.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        page.screenshot(path=screenshots / "asset-columns.png")

        # The asset graph: raw -> staging -> orders_by_month, with groups, kinds,
        # check results and how much of the partitioned asset is filled.
        page.goto(f"{url}/assets/orders_by_month?view=lineage&lineageScope=upstream&lineageDepth=2")
        page.get_by_text("raw_payments").first.wait_for()
        page.get_by_text(f"{CHECKS} / {CHECKS} Passed").wait_for()
        page.wait_for_timeout(1000)  # let the graph settle its layout
        page.screenshot(path=screenshots / "asset-graph.png")

        # Automation: its two sensors running, and raw_changes' ticks (nothing
        # changed outside Dagster, so none reported a change).
        page.goto(f"{url}/automation")
        page.get_by_role("link", name="raw_changes").first.wait_for()
        page.get_by_text("Automation condition sensor").first.wait_for()
        page.wait_for_timeout(3000)  # the status column loads after the list
        page.screenshot(path=screenshots / "automation.png")
        page.get_by_role("link", name="raw_changes").first.click()
        page.get_by_text("Latest tick").first.wait_for()
        page.wait_for_timeout(3000)  # the tick timeline draws last
        page.screenshot(path=screenshots / "automation-ticks.png")
        context.close()

    assert model_rows(raw_db) == expected_rows(raw_db, "2018-01-01", "2018-05-01")


def _wait_for_status(page, status: str, timeout: float) -> None:
    """Reload the backfill page until it shows `status` (or a failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.get_by_text("Status", exact=True).locator("..").inner_text()
        if status in text:
            return
        assert "Failed" not in text and "Canceled" not in text, text
        time.sleep(3)
        page.reload()
        page.get_by_text("Partition selection").wait_for()
    raise AssertionError(f"backfill page never showed {status!r}: {page.url}")
