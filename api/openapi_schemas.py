"""The JSON Schemas of the OpenAPI document: every body the API reads or writes."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from api.errors import ERROR_CODES
from api.keys import MAX_NAME
from api.link_input import MAX_LABEL, MAX_TITLE
from api.openapi_parts import COUNT, NEXT_CURSOR, NOT_BLANK, text_schema, timeseries_schema
from api.openapi_parts import object_schema as _object
from api.settings_routes import CLICK_ID_PARAM, MAX_WINDOW_DAYS, MIN_WINDOW_DAYS
from smartlinks.models import KEY_KINDS
from smartlinks.urls import MAX_URL_LENGTH

_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$", "description": "32 lowercase hex characters."}
_TIME = {
    "type": "string",
    "format": "date-time",
    "description": "RFC 3339 in UTC, e.g. 2030-01-31T12:00:00.000Z.",
}
_NULLABLE_TIME = {**_TIME, "type": ["string", "null"]}
_PORT = "([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# What smartlinks.urls.validate_destination accepts, written for an ASCII host name: a
# scheme, a host of dotted labels, a port up to 65535, then anything but spaces, control
# characters and backslashes.
URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?(:{_PORT}?)?"
    r"([/?#][^\x00-\x20\x7f-\x9f\\]*)?$"
)
_URL = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_URL_LENGTH,
    "pattern": URL_PATTERN,
    "description": "Absolute http(s) URL without credentials, spaces or control characters. The pattern"
    " shows an ASCII host name; an IPv6 literal (`[::1]`) or an internationalised host name in"
    " Unicode is accepted too, unless IDNA/NFKC would turn it into another host or a broken one"
    " (a full-width reverse solidus or percent sign, U+00A0, U+2002, U+3000): url_unsafe_normalisation.",
}
_TITLE = text_schema(MAX_TITLE)
_LABEL = text_schema(MAX_LABEL)
_TRACKING = {
    "type": "boolean",
    "description": "Whether the redirect appends the click's id to the destination under the tenant's"
    " `click_id_param` (default `sl_click`), for the site to send back with a conversion.",
}
_EXPIRES_IN = {
    "type": ["string", "null"],
    "anyOf": [{"type": "null"}, {"format": "date"}, {"format": "date-time"}],
    "description": "RFC 3339 timestamp with a time zone, or a date (meaning midnight UTC at its start);"
    " must be in the future. Stored to the millisecond.",
}


def _list_of(ref: str, paginated: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"items": {"type": "array", "items": {"$ref": ref}}}
    if paginated:
        properties["next_cursor"] = NEXT_CURSOR
    return _object(properties, tuple(properties))


_LINK = {
    "id": _ID,
    "code": {"type": "string", "pattern": "^[A-Za-z0-9]{4,12}$"},
    "short_url": {"type": "string"},
    "destination_url": {"type": "string"},
    "title": {"type": ["string", "null"]},
    "status": {"type": "string", "enum": ["active", "expired"]},
    "expires_at": _NULLABLE_TIME,
    "created_at": _TIME,
    "updated_at": _TIME,
    "campaign": {"type": ["string", "null"]},
    "contact_id": {"type": ["string", "null"]},
    "conversion_tracking": _TRACKING,
    "clicks": {"type": "integer", "minimum": 0, "description": "Lifetime total."},
}
_KEY_KIND: dict[str, Any] = {
    "type": "string",
    "enum": list(KEY_KINDS),
    "description": "secret (`sl_...`): the whole API. publishable (`slp_...`): safe in a web page, it"
    " can only report conversions (`POST /api/v1/track/conversion`); anything else is 403"
    " `key_not_allowed`.",
}
_KEY = {
    "id": _ID,
    "name": {"type": "string"},
    "prefix": {"type": "string", "description": "The key's first characters, to tell keys apart."},
    "created_at": _TIME,
    "revoked_at": _NULLABLE_TIME,
    "kind": _KEY_KIND,
}
_SETTINGS = {
    "collect_metadata": {"type": "boolean"},
    "conversion_tracking": {
        "type": "boolean",
        "description": "The default `conversion_tracking` of new links (existing links keep theirs).",
    },
    "click_id_param": {
        "type": "string",
        "pattern": f"^{CLICK_ID_PARAM.pattern}$",
        "description": "The query parameter a tracked link's redirect puts the click id under.",
    },
    "attribution_window_days": {
        "type": "integer",
        "minimum": MIN_WINDOW_DAYS,
        "maximum": MAX_WINDOW_DAYS,
        "description": "How far back a conversion without a click id looks for its contact's last click"
        " on the campaign.",
    },
}

_NAMED_COUNT = _object({"name": {"type": "string"}, "clicks": COUNT}, ("name", "clicks"))
_CLICK = {
    "id": _ID,
    "ts": _TIME,
    "kind": {"type": "string", "enum": ["unique", "repeat", "bot"]},
    "country": {"type": ["string", "null"], "description": "ISO 3166-1 alpha-2."},
    "city": {"type": ["string", "null"]},
    "device": {"type": ["string", "null"], "enum": ["desktop", "mobile", "tablet", "other", None]},
    "browser": {"type": ["string", "null"]},
    "os": {"type": ["string", "null"]},
    "referrer": {"type": ["string", "null"]},
    "contact_id": {"type": ["string", "null"]},
}

_ANALYTICS: dict[str, Any] = {
    "link": {"$ref": "#/components/schemas/Link"},
    "range": _object(
        {
            "from": _TIME,
            "to": _TIME,
            "interval": {"type": "string", "enum": ["hour", "day", "week", "month"]},
            "tz": {"type": "string"},
            "exclude_bots": {"type": "boolean"},
        },
        ("from", "to", "interval", "tz", "exclude_bots"),
    ),
    "totals": _object({"total": COUNT, "unique": COUNT, "bots": COUNT}, ("total", "unique", "bots")),
    "timeseries": timeseries_schema(
        "Every bucket of the range in order, empty ones included; `t` is the bucket's"
        " start in `tz`, with its offset.",
        ("total", "unique", "bots"),
    ),
    "countries": {
        "type": "array",
        "items": _object(
            {"country": {"type": "string"}, "clicks": COUNT, "unique": COUNT},
            ("country", "clicks", "unique"),
        ),
    },
    "cities": {
        "type": "array",
        "items": _object(
            {"country": {"type": "string"}, "city": {"type": "string"}, "clicks": COUNT},
            ("country", "city", "clicks"),
        ),
    },
    "locations": {
        "type": "array",
        "items": _object(
            {"lat": {"type": "number"}, "lon": {"type": "number"}, "clicks": COUNT},
            ("lat", "lon", "clicks"),
        ),
    },
    "browsers": {"type": "array", "items": _NAMED_COUNT},
    "platforms": {"type": "array", "items": _NAMED_COUNT},
    "os": {"type": "array", "items": _NAMED_COUNT},
    "referrers": {"type": "array", "items": _NAMED_COUNT},
}

SCHEMAS: dict[str, Any] = {
    "TimeZone": {
        "type": "string",
        "enum": sorted(available_timezones()),
        "description": "An IANA time zone this server knows.",
    },
    "Link": _object(_LINK, tuple(_LINK)),
    "LinkList": _list_of("#/components/schemas/Link", paginated=True),
    "LinkCreate": _object(
        {
            "destination_url": _URL,
            "code": {
                "type": ["string", "null"],
                "pattern": "^[A-Za-z0-9]{4,12}$",
                "description": "Custom code, case-sensitive; reserved words are refused."
                " Left out or null: 7 random characters.",
            },
            "title": _TITLE,
            "expires_at": _EXPIRES_IN,
            "campaign": _LABEL,
            "contact_id": _LABEL,
            "conversion_tracking": {**_TRACKING, "description": "Left out: the tenant's default."},
        },
        ("destination_url",),
    ),
    "LinkPatch": {
        **_object(
            {
                "destination_url": _URL,
                "title": _TITLE,
                "expires_at": _EXPIRES_IN,
                "conversion_tracking": _TRACKING,
            }
        ),
        "description": "Fields left out stay as they are; null clears title or expires_at."
        " Sending `code` is refused with `code_immutable`.",
    },
    "Settings": _object(_SETTINGS, tuple(_SETTINGS)),
    "SettingsPatch": {
        **_object(_SETTINGS),
        "description": "Settings left out stay as they are. A change reaches every redirector within a"
        " second (links cached with the old `click_id_param` are read again).",
    },
    "ApiKey": _object(_KEY, tuple(_KEY)),
    "ApiKeyList": _list_of("#/components/schemas/ApiKey", paginated=False),
    "ApiKeyCreate": _object(
        {
            "name": {
                **text_schema(MAX_NAME, nullable=False, min_length=1),
                "pattern": NOT_BLANK,
                "description": "Not blank; no control characters.",
            },
            "kind": {**_KEY_KIND, "default": "secret"},
        },
        ("name",),
    ),
    "ApiKeyCreated": _object(
        {**_KEY, "key": {"type": "string", "description": "The key itself: shown this once only."}},
        (*_KEY, "key"),
    ),
    "Analytics": {
        **_object(_ANALYTICS, tuple(_ANALYTICS)),
        "description": "`unique` is exact: distinct human visitors (a bot is never unique)."
        " `totals.total` = humans + bots and `totals.bots` counts bots whatever `exclude_bots` says;"
        " with `exclude_bots` every other figure leaves bots out.",
    },
    "Click": _object(_CLICK, tuple(_CLICK)),
    "ClickList": _list_of("#/components/schemas/Click", paginated=True),
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {
                        "type": "string",
                        "enum": sorted(ERROR_CODES),
                        "description": "What went wrong, for a program to act on:\n"
                        + "\n".join(
                            f"- `{code}`: {meaning}" for code, meaning in sorted(ERROR_CODES.items())
                        ),
                    },
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The field or parameter at fault."},
                },
                ("code", "message"),
            )
        },
        ("error",),
    ),
}
