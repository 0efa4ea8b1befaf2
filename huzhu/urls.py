from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:dashboard", permanent=False)),
    path("console/", include("huzhu.console.urls")),
    path("m/", include("huzhu.portal.urls")),
    path("api/v1/", include("huzhu.api.urls")),
]
