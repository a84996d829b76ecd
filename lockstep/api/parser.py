"""Reading request bodies and query strings: values that no database column can store are
refused here, once for every operation, with a 400 problem that points at the value.

A JSON string may hold a lone UTF-16 surrogate ("\\ud800": not encodable as UTF-8, so every
database refuses it), a NUL character (PostgreSQL refuses it in text) or an integer past
64 bits (an id list such as `lead_ids` would overflow the database's integers); a query
string or a form field may hold a NUL ("%00")."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from lockstep.api.problems import field_error, invalid

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "Text may not contain NUL characters or lone UTF-16 surrogates."
INT_MESSAGE = "Numbers must fit in 64 bits (ids are at most 9223372036854775807)."
INT64 = range(-(2**63), 2**63)


def _first_unstorable(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return path if UNSTORABLE.search(value) else None
    if isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        return (*path, "#int")
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and UNSTORABLE.search(key):
                return (*path, UNSTORABLE.sub("?", key))
            found = _first_unstorable(item, (*path, str(key)))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, (*path, str(index)))
            if found is not None:
                return found
    return None


class StrictParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        where = _first_unstorable(data)
        if where is not None:
            message = MESSAGE
            if where[-1:] == ("#int",):
                where, message = where[:-1], INT_MESSAGE
            raise invalid([field_error(".".join(where), message)], message)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            for value in values:
                if isinstance(value, str) and UNSTORABLE.search(key + value):
                    location = "query" if data is request.GET else "form"
                    raise invalid([field_error(key, MESSAGE, location=location)], MESSAGE)
        return super().parse_querydict(data, list_fields, request)
