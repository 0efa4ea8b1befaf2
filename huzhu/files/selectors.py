"""Reads of stored files, scoped like every other record (SPEC S1, S5)."""

from huzhu.accounts.access import get_in_scope_or_404
from huzhu.files.models import StoredFile


def stored_file_for(*, user, pk: int) -> StoredFile:
    """The file if its owning unit is in the user's subtree; otherwise 404, as if it did
    not exist."""
    return get_in_scope_or_404(StoredFile.objects.all(), user, "unit_path", pk=pk)
