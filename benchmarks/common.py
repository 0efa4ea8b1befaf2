"""What the benchmarks share: a fresh data folder with the environment of a huzhu process
using it, and a PostgreSQL database made anew."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def fresh_environment(prefix: str, settings: str = "huzhu.settings") -> tuple[Path, dict]:
    """A new data folder and the environment of a process using it (SQLite unless the
    caller sets DATABASE_URL)."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        **os.environ,
        "HUZHU_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": str(ROOT),
        "HUZHU_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    return data_dir, env


def recreate_pg(url: str) -> None:
    """Drop and create the database `url` names (through the server's postgres database)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
