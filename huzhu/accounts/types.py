"""The acting user of a write or a read, as services and selectors name it."""

from typing import TypeAlias

from huzhu.accounts.models import User

# A staff user, or None for the system itself (a command run by an operator, the demo data,
# a first targets import). Services that may only be called by a person take `User`.
Actor: TypeAlias = User | None
