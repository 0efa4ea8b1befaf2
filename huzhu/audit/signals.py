"""Sign-in events reach the audit log through Django's auth signals: they are the only
place the framework reports them."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event


@receiver(user_logged_in)
def log_sign_in(sender, request, user, **kwargs):
    record_event(
        action=Action.SIGN_IN,
        actor=user,
        target=user,
        request=request,
        unit_path=user.unit.path if getattr(user, "unit_id", None) else "",
    )


@receiver(user_login_failed)
def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record_event(
        action=Action.SIGN_IN_FAILED, request=request, summary=username, data={"username": username}
    )
