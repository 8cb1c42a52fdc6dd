"""OpenAPI extensions: how the API-key scheme appears in the schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Platforms send `Authorization: Api-Key <key>`; "
            "the key is shown once by `create_api_key`.",
        }
