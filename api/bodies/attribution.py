"""How a conversion found its click, as the contact view and the conversion.recorded
webhook show it."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from api.bodies.fields import Body, Id

Attribution = Literal["click_id", "last_click", "sent"]


class Attributed(Body):
    link_id: Annotated[Id | None, Meta(description="The link of its click; null without one.")]
    click_id: Annotated[Id | None, Meta(description="The click it was attributed to; null without one.")]
    attribution: Annotated[
        Attribution,
        Meta(
            description="How it found its click: by the click id the site sent back, as the contact's"
            " last human click on the campaign within the tenant's attribution window, or not at all"
            " (campaign and contact as sent)."
        ),
    ]
