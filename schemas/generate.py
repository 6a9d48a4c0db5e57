"""The JSON Schema files in this folder that are generated from the event classes.

    python -m schemas.generate          # rewrite them
    python -m schemas.generate --check  # exit 1 if a committed file differs

The classes in ``schemas/events.py`` are the contract; these files say the same for other
languages, and a test fails when a committed file is not what the class generates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from schemas.events import ClickEvent, FunnelEvent, LinkChange

FOLDER = Path(__file__).parent
GENERATED: dict[str, tuple[type[msgspec.Struct], str]] = {
    "click_event.v1.json": (ClickEvent, "Click event, version 1"),
    "funnel_event.v1.json": (FunnelEvent, "Funnel event, version 1"),
    "link_change.v1.json": (LinkChange, "Link change event, version 1"),
}


def document(cls: type[msgspec.Struct], title: str, filename: str) -> dict[str, Any]:
    """The class's schema as one self-contained object (msgspec puts it under ``$defs``)."""
    generated = msgspec.json.schema(cls)
    body = generated["$defs"][generated["$ref"].rsplit("/", 1)[1]]
    body.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"smartlinks/{filename}",
        "title": title,
        **body,
    }


def rendered(filename: str) -> str:
    cls, title = GENERATED[filename]
    return json.dumps(document(cls, title, filename), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    args = parser.parse_args(argv)
    stale = []
    for filename in GENERATED:
        path, text = FOLDER / filename, rendered(filename)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(filename)
        if not args.check:
            path.write_text(text)
    if args.check and stale:
        print(f"out of date (run python -m schemas.generate): {', '.join(stale)}", file=sys.stderr)
        return 1
    for filename in [] if args.check else stale:
        print(f"wrote schemas/{filename}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
