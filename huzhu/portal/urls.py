from django.urls import path

from huzhu.portal import views, views_claims, views_enrollment

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.me, name="me"),
    path("me/correction", views.correction, name="correction"),
    path("enrollments/", views_enrollment.enrollments, name="enrollments"),
    path("enrollments/renew", views_enrollment.renew, name="enrollment_renew"),
    path("enrollments/<int:pk>/revoke", views_enrollment.revoke, name="enrollment_revoke"),
    path(
        "bank-sim/sign/<int:member_id>/<int:year>",
        views_enrollment.bank_signing,
        name="bank_signing",
    ),
    path("calc/", views.calculator, name="calculator"),
    path("claims/", views_claims.claims, name="claims"),
    path("claims/new", views_claims.claim_new, name="claim_new"),
    path("claims/<int:pk>", views_claims.claim, name="claim"),
    path("claims/<int:pk>/resend", views_claims.claim_resend, name="claim_resend"),
    path(
        "claims/<int:pk>/documents/<int:doc_pk>",
        views_claims.claim_document,
        name="claim_document",
    ),
]
