from django.urls import path

from huzhu.api.endpoints import api

urlpatterns = [path("", api.urls)]
