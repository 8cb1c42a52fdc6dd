"""API clients for tests: a logged-in user (session, as the web apps) or a platform key."""

from rest_framework.test import APIClient


def client_for(user=None, api_key=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    if api_key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client
