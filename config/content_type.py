"""A Content-Type header Django cannot read counts as none, instead of crashing the request.

Django reads the header while it builds the request, before any middleware or error
handler runs, and raises ValueError for an RFC 2231 parameter in a charset that does not
exist (`multipart/form-data; boundary*=bogus''x`): gunicorn then answers a bare 500.
Read as absent, the API refuses a body it cannot label (415 problem+json) and a form
finds no fields; DRF, which reads the raw header again, sees it empty too.
"""

from __future__ import annotations

from django.core.handlers.wsgi import WSGIRequest


class TolerantWSGIRequest(WSGIRequest):
    """Django's WSGI request (config.wsgi); an unreadable Content-Type is dropped."""

    def _set_content_type_params(self, meta) -> None:
        try:
            super()._set_content_type_params(meta)
        except ValueError:
            meta["CONTENT_TYPE"] = ""
            self.content_type, self.content_params = "", {}
