"""A PostgreSQL server of the fault suite's own, which a test may restart.

Never the shared cluster on 5432: other test sessions (and other people's) use it. The suite's
cluster (`pg_createcluster <version> vitdfaults`, port 5439, trust auth on localhost) is created
the first time, then reused and started as needed. Where `pg_createcluster` is not available
(no Debian tooling, not root), a server is made with `initdb` and run with `pg_ctl` in a folder of
its own, as the postgres user when run as root. Creating, starting and restarting happen under a
file lock held for the whole test, so parallel workers and sessions take turns.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NAME = "vitdfaults"
PORT = int(os.environ.get("FAULTS_POSTGRES_PORT", "5439"))
STATE = Path(tempfile.gettempdir()) / "vitd-faults-postgres"


@dataclass(frozen=True)
class Cluster:
    port: int
    restart_command: tuple[str, ...]  # ends with the shutdown mode's value
    how: str  # how it was made, for the test's report

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def restart(self, mode: str) -> None:
        """Stop (``mode``: smart, fast or immediate) and start again; connections are cut."""
        process = await asyncio.create_subprocess_exec(
            *self.restart_command, mode, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        output, _ = await process.communicate()
        assert process.returncode == 0, output.decode(errors="replace")
        await self.ready()

    async def ready(self, timeout: float = 60) -> None:
        """Wait until the server takes connections (after a crash it first replays its WAL)."""
        import asyncpg

        deadline = time.monotonic() + timeout
        while True:
            try:
                connection = await asyncpg.connect(self.url("postgres").replace("+asyncpg", ""), timeout=5)
            except (OSError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
            else:
                await connection.close()
                return


@contextmanager
def exclusive() -> Iterator[None]:
    STATE.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{STATE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _debian_cluster() -> Cluster:
    version = sorted(os.listdir("/etc/postgresql"), key=float)[-1]
    if not Path(f"/etc/postgresql/{version}/{NAME}").exists():
        made = _run("pg_createcluster", version, NAME, "--port", str(PORT), "--", "--auth=trust")
        if made.returncode != 0:
            raise RuntimeError(f"pg_createcluster failed: {made.stderr or made.stdout}")
    if _run("pg_ctlcluster", version, NAME, "status").returncode != 0:
        started = _run("pg_ctlcluster", version, NAME, "start")
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctlcluster start failed: {started.stderr or started.stdout}")
    return Cluster(PORT, ("pg_ctlcluster", version, NAME, "restart", "-m"), f"pg_createcluster {version} {NAME}")


def _initdb_cluster() -> Cluster:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    initdb = str(binaries[-1]) if binaries else shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("neither pg_createcluster nor initdb is available")
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    as_postgres = ("runuser", "-u", "postgres", "--") if os.geteuid() == 0 else ()
    data = STATE / "data"
    if not (data / "PG_VERSION").exists():
        STATE.mkdir(parents=True, exist_ok=True)
        if as_postgres:
            shutil.chown(STATE, "postgres")
        made = _run(*as_postgres, initdb, "-D", str(data), "-U", "postgres", "--auth=trust")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr or made.stdout}")
    control = (*as_postgres, pg_ctl, "-D", str(data), "-l", str(STATE / "log"), "-w",
               "-o", f"-p {PORT} -k {STATE} -c listen_addresses=127.0.0.1")
    if _run(*as_postgres, pg_ctl, "-D", str(data), "status").returncode != 0:
        started = _run(*control, "start")
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {started.stderr or started.stdout}")
    return Cluster(PORT, (*control, "restart", "-m"), f"initdb + pg_ctl in {STATE}")


def ensure_cluster() -> Cluster:
    """The suite's own server, created and started if need be (call under `exclusive()`)."""
    if shutil.which("pg_createcluster") and Path("/etc/postgresql").is_dir() and os.geteuid() == 0 \
            and not os.environ.get("FAULTS_POSTGRES_INITDB"):
        return _debian_cluster()
    return _initdb_cluster()
