"""Configuration from the environment (SPEC S6).

With nothing set every command works safely: DEBUG off, SQLite and uploads in the data
folder, and the secret and encryption keys generated once into `<data>/keys/` with
owner-only permissions. Losing that folder loses every encrypted ID and phone number, so
the backup command and the docs name it.
"""

import base64
import ipaddress
import os
import secrets
from pathlib import Path

KEY_NAMES = ("secret_key", "field_key", "lookup_key")


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
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def read_or_create_key(folder: Path, name: str) -> str:
    """The key stored in `folder/name`, created with 32 random bytes on first use."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def key(name: str, env_name: str, folder: Path) -> str:
    return os.environ.get(env_name) or read_or_create_key(folder, name)
