"""The few access checks every view goes through (SPEC S1): scope is the user's unit
subtree, and anything outside it is answered as if it did not exist."""

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import Http404

from huzhu.accounts.models import User

M = TypeVar("M", bound=Model)


def scope_path(user: User | AnonymousUser) -> str:
    """The unit path prefix this user may see; a user without a unit sees nothing."""
    if not isinstance(user, User) or user.unit is None:
        return "/nothing/"
    return user.unit.path


def scoped(queryset: QuerySet[M], user: User | AnonymousUser, field: str = "path") -> QuerySet[M]:
    return queryset.filter(**{f"{field}__startswith": scope_path(user)})


def get_in_scope_or_404(
    queryset: QuerySet[M], user: User | AnonymousUser, field: str = "path", **lookup
) -> M:
    obj = scoped(queryset, user, field).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
