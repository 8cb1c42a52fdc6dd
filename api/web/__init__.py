"""The platform console (web, namespace `platform`): for platforms without an integration
of their own. Every page calls the same selectors and services as the API."""
