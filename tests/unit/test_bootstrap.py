"""`source scripts/bootstrap` leaves the user's shell as it was, but for .venv on PATH.

Users source it in their own terminal (the README's CLI sections). Strict mode
left behind there (`set -e`) would close the terminal at the next failing
command, so the install's strict mode must end inside the script.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from dagster_project.lib.project import REPO_ROOT

# Prints the shell's options before and after sourcing, the status, and PATH.
PROBE = """
set +e +u
before="$(set +o; shopt -p)"
source scripts/bootstrap
status=$?
after="$(set +o; shopt -p)"
printf '%s\\n--\\n%s\\n--\\n%s\\n--\\n%s\\n' "$before" "$after" "$status" "$PATH"
"""


def source_bootstrap(root: Path, extras: str) -> tuple[str, str, int, str]:
    """Source root/scripts/bootstrap in a fresh bash; options before, after, status, PATH."""
    result = subprocess.run(
        ["bash", "-c", PROBE],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "BOOTSTRAP_EXTRAS": extras},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    before, after, status, path = result.stdout.rstrip("\n").split("\n--\n")
    return before, after, int(status), path


def installed_extras() -> str:
    """The extras of this checkout's .venv stamp for the current pyproject.toml."""
    digest = hashlib.sha256((REPO_ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamps = sorted((REPO_ROOT / ".venv").glob(f".installed-{digest}-*"))
    if not stamps:
        pytest.skip("No .venv installed for this pyproject.toml: run scripts/bootstrap first.")
    return stamps[0].name.removeprefix(f".installed-{digest}-").replace("-", ",")


def test_sourcing_keeps_the_shell_options_and_puts_the_venv_on_path() -> None:
    extras = installed_extras()
    stamp_times = {p: p.stat().st_mtime for p in (REPO_ROOT / ".venv").glob(".installed-*")}

    before, after, status, path = source_bootstrap(REPO_ROOT, extras)

    assert status == 0
    assert after == before
    assert "set -o errexit" not in after and "set -o pipefail" not in after
    assert path.split(":")[0] == str(REPO_ROOT / ".venv" / "bin")
    # Installed already: nothing reinstalled, no stamp touched.
    assert {p: p.stat().st_mtime for p in stamp_times} == stamp_times


def test_a_failed_install_returns_an_error_and_keeps_the_shell(tmp_path: Path) -> None:
    """A copy whose .venv python fails: the caller gets status 1, its options, its PATH."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "bootstrap", tmp_path / "scripts" / "bootstrap")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\nexit 3\n")
    python.chmod(0o755)

    before, after, status, path = source_bootstrap(tmp_path, "dev")

    assert status == 1
    assert after == before
    assert path == "/usr/bin:/bin"
