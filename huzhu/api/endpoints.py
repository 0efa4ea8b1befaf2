"""The JSON API under /api/v1/, described by /api/v1/openapi.json (django-ninja)."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="huzhu API",
    version="1",
    openapi_url="/openapi.json",
    # The interactive docs page loads its scripts from a CDN; the union intranet has none.
    docs_url=None,
    urls_namespace="api",
)


@api.get("/health", summary="Liveness check")
def health(request):
    return {"status": "ok"}
