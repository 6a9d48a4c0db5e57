"""A city's name without the district some GeoIP databases append to it.

DB-IP's City Lite (the default database, see ``consumer/enrich/geo.py``) names many
places "City (District)": "Amsterdam (Westpoort)", "Berlin (Bezirk Mitte)", "Mumbai
(Kurla (w)" (sic), so one city would split into a line per district. The city is what
comes before the first " (": the only rule that puts every district of a city under one
name, since nothing in the record tells a district from a qualifier that belongs to the
name. The cost, counted over that database's 39,296 names with a parenthesis: a handful
of towns whose name carries a qualifier show without it ("Frankfurt (Oder)" reads
"Frankfurt", "Kempten (Allgäu)" reads "Kempten", "Wetter (Ruhr)" joins "Wetter"), as the
database itself already names "Halle (Saale)" plain "Halle".

The consumer stores clicks under this name, and the analytics apply it to rows stored
before it did, so old and new clicks group alike.
"""

from __future__ import annotations

DISTRICT = " ("


def city_of(name: str) -> str:
    """``name`` without the parenthesised district after it (unchanged if it has none)."""
    at = name.find(DISTRICT)
    return name[:at] if at > 0 else name
