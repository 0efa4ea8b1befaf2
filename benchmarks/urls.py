"""The application's addresses plus a bare Django view: the same middleware, no work."""

from django.http import HttpResponse
from django.urls import path

from huzhu.urls import urlpatterns as huzhu_urlpatterns


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *huzhu_urlpatterns]

handler400 = "huzhu.errors.bad_request"
handler403 = "huzhu.errors.permission_denied"
handler404 = "huzhu.errors.page_not_found"
handler500 = "huzhu.errors.server_error"
