from django.urls import path

from huzhu.console import (
    views,
    views_audit,
    views_auth,
    views_members,
    views_policy,
    views_targets,
    views_units,
    views_users,
)

app_name = "console"
urlpatterns = [
    path("login/", views_auth.LoginView.as_view(), name="login"),
    path("logout/", views_auth.LogoutView.as_view(), name="logout"),
    path("otp/", views_auth.otp_view, name="otp"),
    path("password/", views_auth.password_change, name="password_change"),
    path("", views.dashboard, name="dashboard"),
    path("targets/", views.targets, name="targets"),
    path("targets/import", views.targets_import, name="targets_import"),
    path("targets/import/confirm", views_targets.confirm, name="targets_confirm"),
    path("units/", views.units, name="units"),
    path("units/<int:pk>/", views_units.unit, name="unit"),
    path("units/<int:pk>/rename", views_units.unit_rename, name="unit_rename"),
    path("units/<int:pk>/move", views_units.unit_move, name="unit_move"),
    path("units/<int:pk>/deactivate", views_units.unit_deactivate, name="unit_deactivate"),
    path("units/<int:pk>/reactivate", views_units.unit_reactivate, name="unit_reactivate"),
    path("members/", views_members.members, name="members"),
    path("members/new/", views.member_new, name="member_new"),
    path("members/<int:pk>/", views.member, name="member"),
    path("members/<int:pk>/reveal", views.member_reveal, name="member_reveal"),
    path("audit/", views_audit.audit, name="audit"),
    path("calculator/", views.calculator, name="calculator"),
    path("policies/", views_policy.policies, name="policies"),
    path("policies/<int:pk>/", views_policy.policy, name="policy"),
    path("users/", views_users.users, name="users"),
    path("users/<int:pk>/unlock", views_users.user_unlock, name="user_unlock"),
    path(
        "users/<int:pk>/reset-password",
        views_users.user_reset_password,
        name="user_reset_password",
    ),
    path("users/<int:pk>/disable", views_users.user_disable, name="user_disable"),
    path("users/<int:pk>/enable", views_users.user_enable, name="user_enable"),
    path("users/unlock-address", views_users.address_unlock, name="address_unlock"),
    path(
        "users/<int:pk>/reset-second-factor",
        views_users.user_reset_second_factor,
        name="user_reset_second_factor",
    ),
]
