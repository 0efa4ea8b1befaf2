"""The app's URLs plus views that fail on purpose, one under each front door."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import include, path

from huzhu.urls import handler400, handler403, handler404, handler500  # noqa: F401


def boom(request):
    raise RuntimeError("boom raised on purpose by the test")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("a malformed request, raised on purpose by the test")


urlpatterns = [
    path("console/boom/", boom),
    path("console/suspicious/", suspicious),
    path("m/boom/", boom),
    path("m/forbidden/", forbidden),
    path("api/v1/boom/", boom),
    path("", include("huzhu.urls")),
]
