"""Response helpers shared by the front doors."""

from functools import wraps

from django.utils.cache import add_never_cache_headers


def no_store(view):
    """For a response that carries a full ID, phone or union card number (SPEC S2).

    `Cache-Control: no-store` (with Django's never-cache set: max-age=0, no-cache,
    must-revalidate, private): no browser cache, back-forward cache or proxy may keep it.
    Put it on every view that shows a number unmasked.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
