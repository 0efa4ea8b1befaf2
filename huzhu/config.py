"""Configuration from the environment (SPEC S6).

With nothing set every command works safely: DEBUG off, SQLite and uploads in the data
folder, and the secret and encryption keys generated once into `<data>/keys/` with
owner-only permissions. Losing that folder loses every encrypted ID and phone number, so
the backup command and the docs name it.
"""

import base64
import fcntl
import ipaddress
import os
import secrets
import stat
import sys
from pathlib import Path

KEY_NAMES = ("secret_key", "field_key", "lookup_key")
# Field keys replaced by a newer one, kept to read what they encrypted (huzhu.members.crypto);
# never created, backed up and restored with the keys when present.
RETIRED_FIELD_KEYS = "retired_field_keys"
# The bank notices' shared secret (SPEC §7a), created on first use when not configured.
BANK_SECRET = "bank_secret"
ARCHIVED_KEY_NAMES = (*KEY_NAMES, BANK_SECRET, RETIRED_FIELD_KEYS)
SECRET_KEY_MIN_LENGTH = 50


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """Addresses or networks (`10.0.0.2`, `10.0.0.0/8`, `fd00::/8`), comma-separated."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"{name}: {item!r} is not an IP address or network") from None
    return networks


def data_dir() -> Path:
    configured = os.environ.get("HUZHU_DATA_DIR")
    if configured:
        path = Path(configured).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        path = Path(base) / "huzhu"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    restrict(path, 0o700)
    return path.resolve()


def restrict(path: Path, mode: int) -> None:
    """Give `path` exactly `mode` whatever the umask was when it was made.

    The data folder holds the SQLite database (with the second-factor seeds), the keys and
    the uploads. A folder or file owned by someone else is left alone: only its owner (or
    root) may change it, and the operator chose that layout.
    """
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != mode:
        path.chmod(mode)


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    restrict(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if missing, owner-only. SQLite takes an empty file as an empty
    database and gives its journal files the database file's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    restrict(path, 0o600)
    return path


def new_key(name: str) -> str:
    if name == "secret_key":
        # Django's deploy check wants at least 50 characters (security.W009): 64 here.
        return secrets.token_urlsafe(48)
    # The field key is a Fernet key (32 bytes, URL-safe base64): Fernet tokens written with
    # it stay readable, and the AES-256-GCM key of new values is derived from it. The lookup
    # key has the same shape for no other reason than history.
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def read_or_create_key(folder: Path, name: str) -> str:
    """The key stored in `folder/name`, created on first use."""
    private_dir(folder)
    path = folder / name
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        value = _create_key(path, name)
    if name == "secret_key" and len(value) < SECRET_KEY_MIN_LENGTH:
        value = _lengthen_secret_key(path, value)
    return value


def _create_key(path: Path, name: str) -> str:
    value = new_key(name)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _lengthen_secret_key(path: Path, short: str) -> str:
    """Replace a secret key generated before keys were 64 characters long.

    Only the secret key is replaced: it signs sessions and nothing stored, so the cost is
    that staff and members sign in once more. The field and lookup keys encrypt and index
    data and are never touched. The lock makes web processes starting together agree on
    one new key.
    """
    with os.fdopen(os.open(path.parent / ".lock", os.O_RDWR | os.O_CREAT, 0o600)) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = path.read_text().strip()
        if current != short:
            return current  # another process replaced it while we waited
        value = new_key("secret_key")
        fresh = path.with_name(f".{path.name}.new")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        os.replace(fresh, path)
    sys.stderr.write(
        f"huzhu: replaced the {len(short)}-character secret key in {path} with a "
        f"{len(value)}-character one; everyone signs in again once.\n"
    )
    return value


def key(name: str, env_name: str, folder: Path) -> str:
    return os.environ.get(env_name) or read_or_create_key(folder, name)


def retired_keys(folder: Path, env_name: str | None = None) -> list[str]:
    """The retired field keys, kept for reading only: the environment's (comma-separated)
    or the lines of `folder/retired_field_keys`, none when neither exists. Never created."""
    configured = os.environ.get(env_name) if env_name else None
    if configured:  # set and not empty, as for the other keys
        text = configured.replace(",", "\n")
    else:
        try:
            text = (folder / RETIRED_FIELD_KEYS).read_text()
        except FileNotFoundError:
            return []
    return [line.strip() for line in text.splitlines() if line.strip()]
