from django.urls import path

from huzhu.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.me, name="me"),
    path("me/correction", views.correction, name="correction"),
    path("calc/", views.calculator, name="calculator"),
]
