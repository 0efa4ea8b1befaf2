import pytest


@pytest.mark.django_db
def test_openapi_document_is_served_without_a_cdn(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/health" in document["paths"]
    assert client.get("/api/v1/health").json() == {"status": "ok", "database": "ok"}
    # The interactive docs page would load scripts from a CDN; it is switched off.
    assert client.get("/api/v1/docs").status_code == 404
