from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:dashboard", permanent=False)),
    path("console/", include("huzhu.console.urls")),
    path("m/", include("huzhu.portal.urls")),
    path("api/v1/", include("huzhu.api.urls")),
]

# The app's own error answers, in Chinese, JSON under /api/ (huzhu/errors.py).
handler400 = "huzhu.errors.bad_request"
handler403 = "huzhu.errors.permission_denied"
handler404 = "huzhu.errors.page_not_found"
handler500 = "huzhu.errors.server_error"
