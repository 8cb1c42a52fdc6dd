"""Cursor pagination ordered by last change, stable under inserts."""

import re

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class UpdatedCursorPagination(CursorPagination):
    ordering = ("-updated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """DRF's, except that a malformed size is a 400: DRF quietly uses the default."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if len(values) == 1 and re.fullmatch(r"[0-9]+", values[0]) and int(values[0]) > 0:
            return min(int(values[0]), self.max_page_size)
        raise ValidationError(
            {self.page_size_query_param: [f"One whole number from 1 to {self.max_page_size}."]}
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Results per page, {self.page_size} by default; at most "
                    f"{self.max_page_size} are returned, whatever the number asked for."
                )
        return parameters

    def decode_cursor(self, request):
        """DRF's decoding, plus: the position must be a time, as our cursors carry one.

        DRF passes the position to the query unchecked, so a forged cursor would
        otherwise end in a validation error deep in the ORM (a 500).
        """
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
            if not valid:
                raise NotFound(self.invalid_cursor_message)
        return cursor
