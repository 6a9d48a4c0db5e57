"""A tenant's settings as the API shows them, and a change to them."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from api.bodies.fields import END, Body
from api.bodies.reading import RequestBody

# The click id rides in the destination's query string: a name that needs no escaping
# there, and that a site's code can read back as it was written.
CLICK_ID_PARAM = f"^[A-Za-z0-9_.-]{{1,64}}{END}"
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 1, 365

CollectMetadata = bool
ConversionTracking = Annotated[
    bool, Meta(description="The default `conversion_tracking` of new links (existing links keep theirs).")
]
ClickIdParam = Annotated[
    str,
    Meta(
        pattern=CLICK_ID_PARAM,
        description="The query parameter a tracked link's redirect puts the click id under.",
    ),
]
AttributionWindowDays = Annotated[
    int,
    Meta(
        ge=MIN_WINDOW_DAYS,
        le=MAX_WINDOW_DAYS,
        description="How far back a conversion without a click id looks for its contact's last click"
        " on the campaign.",
    ),
]


class Settings(Body):
    collect_metadata: CollectMetadata
    conversion_tracking: ConversionTracking
    click_id_param: ClickIdParam
    attribution_window_days: AttributionWindowDays


class SettingsPatch(RequestBody):
    """Settings left out stay as they are. A change reaches every redirector within a second
    (links cached with the old `click_id_param` are read again)."""

    collect_metadata: CollectMetadata | UnsetType = UNSET
    conversion_tracking: ConversionTracking | UnsetType = UNSET
    click_id_param: ClickIdParam | UnsetType = UNSET
    attribution_window_days: AttributionWindowDays | UnsetType = UNSET
    refusals = {
        "click_id_param": "invalid_click_id_param",
        "attribution_window_days": "invalid_attribution_window",
    }
    explanations = {
        "click_id_param": "click_id_param must be 1-64 ASCII letters, digits, '_', '.' or '-'.",
        "attribution_window_days": (
            f"attribution_window_days must be from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS}."
        ),
    }
