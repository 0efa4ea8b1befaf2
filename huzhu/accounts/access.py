"""The few access checks every view goes through (SPEC S1): scope is the user's unit
subtree, and anything outside it is answered as if it did not exist."""

from django.db.models import QuerySet
from django.http import Http404


def scope_path(user) -> str:
    """The unit path prefix this user may see; a user without a unit sees nothing."""
    if not user.is_authenticated or not getattr(user, "unit_id", None):
        return "/nothing/"
    return user.unit.path


def scoped(queryset: QuerySet, user, field: str = "path") -> QuerySet:
    return queryset.filter(**{f"{field}__startswith": scope_path(user)})


def get_in_scope_or_404(queryset: QuerySet, user, field: str = "path", **lookup):
    obj = scoped(queryset, user, field).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
