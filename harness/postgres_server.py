"""A throwaway PostgreSQL server: Debian's binaries, a unix socket, always stopped.

`initdb` and `pg_ctl` refuse to run as root, so as root they run as the
`postgres` user (`runuser`), in a folder that user owns. The server listens
on no TCP port: only on a socket in its own folder, so parallel test workers
each have their own server and nothing else on the machine can reach it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg2
from psycopg2 import sql

# Debian's layout: /usr/lib/postgresql/<major>/bin/{initdb,pg_ctl}.
_DEBIAN = Path("/usr/lib/postgresql")


def postgres_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL bin folder with initdb and pg_ctl, or None."""
    found = sorted(
        (d / "bin" for d in _DEBIAN.glob("*") if (d / "bin" / "initdb").exists()),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


class PostgresServer:
    """One cluster in `folder`, reached through the socket folder `folder`."""

    def __init__(self, folder: Path, bin_dir: Path) -> None:
        self.folder = folder
        self.bin_dir = bin_dir
        self.data = folder / "data"
        self.user = "postgres"

    @property
    def env(self) -> dict[str, str]:
        """The libpq variables dbt's postgres target and psql read."""
        return {"PGHOST": str(self.folder), "PGPORT": "5432", "PGUSER": self.user, "PGPASSWORD": ""}

    def _run(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*as_postgres, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            self.folder.chmod(0o700)
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        options = (
            f"-k {self.folder} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")  # fmt: skip

    def connect(self, database: str = "postgres") -> psycopg2.extensions.connection:
        con = psycopg2.connect(host=str(self.folder), user=self.user, dbname=database)
        con.autocommit = True
        return con

    def create_database(self, name: str, template: str | None = None) -> None:
        statement = sql.SQL("create database {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" template {}").format(sql.Identifier(template))
        with contextlib.closing(self.connect()) as con, con.cursor() as cursor:
            cursor.execute(statement)

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing whatever connections are still open on it."""
        statement = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        with contextlib.closing(self.connect()) as con, con.cursor() as cursor:
            cursor.execute(statement)


@contextlib.contextmanager
def running_postgres(folder: Path) -> Iterator[PostgresServer]:
    """A started server in `folder`, stopped on the way out whatever happens."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError(
            f"No PostgreSQL server binaries under {_DEBIAN}: install Debian's postgresql."
        )
    server = PostgresServer(folder, bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def database_name(name: str) -> str:
    """A Postgres database name for a test's `name`: lowercase, at most 63 bytes."""
    cleaned = "".join(c if c.isalnum() else "_" for c in name.lower())
    if len(cleaned) <= 63:
        return cleaned
    import hashlib

    return f"{cleaned[:50]}_{hashlib.sha256(cleaned.encode()).hexdigest()[:12]}"
