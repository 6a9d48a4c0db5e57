"""The link cache's compact tier: every cached link as one packed record in a log of bytes.

A million links as Python objects cost ~750 B each (a ResolvedLink of nine str objects, a
tuple, an OrderedDict node): 754 MB RSS. Packed as here, ~128 B a link, index included: a
redirector process holding a million realistic links is at 161 MB RSS (from 38 MB), measured
by bench/redirect_cache_bench.py. How:

- Records are appended to a log of 1 MiB segments (``bytearray``). The code is stored once
  (it is also the key); a 32-hex link id as its 16 raw bytes; ``https://`` as a flag. What
  many links share is stored once and referred to by number: the tenant with its click-id
  parameter (a "profile"), the campaign, and the query string of the destination (utm
  parameters repeat across a campaign's links) while the shared pool has room.
- The index is open addressing with linear probing over ``array('I')``: 4 B a slot, one
  record position a slot. A removal shifts the entries after it back (no tombstones), so
  the index is rebuilt only as it grows past 70 % full, like a dict: a rebuild decodes
  every code, a pause of seconds at a million links, so never in a full cache's steady
  state of evictions.
  A position is the segment's place in a ring of 4096 segments and the offset within it,
  so 32 bits address 4 GiB of log however long the process runs.
- Removed and replaced records stay in the log as garbage until the cleaner's head passes
  them: it walks the log from its oldest record, drops dead ones, moves live ones to the
  end and frees each segment it leaves behind (no large copy, so no doubled memory). It
  runs a few records per insert while garbage exceeds half the live bytes, and on demand
  to make room beyond ``capacity``: a CLOCK (second chance) instead of exact LRU, since
  a linked list per entry would cost more than the record. A hit sets the record's
  reference bit; the cleaner spares a referenced (or hot) record once.
- Dropping a tenant's links marks its profile dead in O(1): its records read as absent
  and are dropped as the cleaner or a new lookup reaches them.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable

from smartlinks.models import ResolvedLink
from smartlinks.rules import pack_rules, unpack_rules

_SEGMENT_BITS = 20
_SEGMENT = 1 << _SEGMENT_BITS
_OFFSET_MASK = _SEGMENT - 1
_RING = 4096  # segments addressable with 32-bit positions: 4 GiB of log
_PRESIZED_LINKS = 1 << 22
_EMPTY = 0xFFFF_FFFF  # a slot value no record can have: a record never starts in a segment's last byte
_NONE = 0xFFFF_FFFF  # "no shared string": the value is absent or stored inline
_MAX_LOAD = 0.7

# deadline, profile, campaign, query, flags, code, link id, campaign, contact, location, rules lengths
_HEADER = struct.Struct("<dIIIBBBHHHH")
_FLAGS_AT = 20
_CODE_SIZE_AT = 21
_EXPIRES = struct.Struct("<q")
_REFERENCED = 1
_NEGATIVE = 2
_COLLECT = 4
_HAS_EXPIRY = 8
_LINK_HEX = 16
_HAS_CAMPAIGN = 32
_HAS_CONTACT = 64
_HTTPS = 128
_HTTPS_PREFIX = "https://"


class _Pool:
    """Strings shared by many records, by number; stops growing at ``limit`` (the caller
    then stores the string inline) so a field that turns out to be unique per link cannot
    grow it without bound."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.strings: list[str] = []
        self._numbers: dict[str, int] = {}

    def number(self, text: str) -> int:
        number = self._numbers.get(text)
        if number is None:
            if len(self.strings) >= self.limit:
                return _NONE
            number = self._numbers[text] = len(self.strings)
            self.strings.append(text)
        return number


def _hex_id(text: str) -> bytes | None:
    """The 16 bytes of a 32-hex-digit lowercase id (as smartlinks.ids makes them), else None."""
    if len(text) != 32:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if raw.hex() == text else None  # upper case or spaces would not come back equal


class CompactLinks:
    """Codes to (link or None for a known unknown code, monotonic deadline), packed.

    ``spare(code)`` says whether a record about to be evicted for room should get a second
    chance (its code is in the faster tier above); ``dropped(code)`` hears of each eviction.
    """

    def __init__(
        self,
        capacity: int,
        spare: Callable[[str], bool] = lambda code: False,
        dropped: Callable[[str], None] = lambda code: None,
        pool_limit: int = 65_536,
    ) -> None:
        self.capacity = capacity
        self.evictions = 0
        self._spare = spare
        self._dropped = dropped
        self._pool_limit = pool_limit
        self.clear()

    def clear(self) -> None:
        self._segments: list[bytearray | None] = [None] * _RING
        self._used = [0] * _RING  # bytes written in each segment
        self._head = 0  # position of the oldest record (segment in the ring, offset)
        self._tail_segment = 0
        self._tail = 0  # offset of the next record in the tail segment
        self._segments[0] = bytearray(_SEGMENT)
        # Sized for the capacity at once: growing means re-hashing every code (seconds at
        # 700,000 links, with redirects waiting), and a cache fills exactly when a
        # campaign's first wave arrives. 4 B a slot, at most half full: 1 MB for the default
        # 100,000 links, 8 MB for a million; past 4M links it grows as it fills.
        size = 1024
        while size < 2 * min(self.capacity, _PRESIZED_LINKS):
            size *= 2
        self._slots = array("I", [_EMPTY]) * size
        self._mask = size - 1
        self._filled = 0  # slots holding a position
        self._live = 0
        self._live_bytes = 0
        self._dead_bytes = 0
        # A profile is what all links of a tenant share: (tenant_id, click_param).
        self._profiles: list[tuple[str, str | None]] = []
        self._profile_numbers: dict[tuple[str, str | None], int] = {}
        self._profile_alive: list[bool] = []
        self._profile_links: list[int] = []
        self._profile_bytes: list[int] = []
        self._pool = _Pool(self._pool_limit)

    def __len__(self) -> int:
        return self._live

    @property
    def log_bytes(self) -> int:
        """Bytes of records in the log, live or garbage not yet cleaned."""
        return self._live_bytes + self._dead_bytes

    @property
    def segments(self) -> int:
        """Segments of the log in memory (1 MiB each)."""
        return sum(segment is not None for segment in self._segments)

    # -- reading ----------------------------------------------------------------------

    def _find(self, code: str, key: bytes | bytearray) -> int:
        """The slot of ``code``, or the empty slot that ends its probe path."""
        slots, mask, segments = self._slots, self._mask, self._segments
        slot = hash(code) & mask
        size = len(key)
        while (position := slots[slot]) != _EMPTY:
            segment = segments[position >> _SEGMENT_BITS]
            assert segment is not None
            offset = position & _OFFSET_MASK
            # The code's length first: most other codes on the path differ in it, and one
            # byte read rejects them instead of a slice.
            start = offset + _HEADER.size
            if segment[offset + _CODE_SIZE_AT] == size and segment[start : start + size] == key:
                return slot
            slot = (slot + 1) & mask
        return slot

    @staticmethod
    def _code_at(segment: bytearray, offset: int) -> bytearray:
        start = offset + _HEADER.size
        return segment[start : start + segment[offset + _CODE_SIZE_AT]]

    def get(self, code: str) -> tuple[ResolvedLink | None, float] | None:
        # _find inlined: this runs on every request that misses the hot tier.
        key = code.encode()
        size = len(key)
        slots, mask, segments = self._slots, self._mask, self._segments
        slot = hash(code) & mask
        while (position := slots[slot]) != _EMPTY:
            segment = segments[position >> _SEGMENT_BITS]
            assert segment is not None
            offset = position & _OFFSET_MASK
            start = offset + _HEADER.size
            if segment[offset + _CODE_SIZE_AT] == size and segment[start : start + size] == key:
                segment[offset + _FLAGS_AT] |= _REFERENCED
                return self._decode(segment, offset, code)
            slot = (slot + 1) & mask
        return None

    def _decode(self, segment: bytearray, offset: int, code: str) -> tuple[ResolvedLink | None, float] | None:
        (deadline, profile, campaign_ref, query_ref, flags, code_size, link_size, campaign_size, contact_size,
         location_size, rules_size) = _HEADER.unpack_from(segment, offset)  # fmt: skip
        if flags & _NEGATIVE:
            return None, deadline
        if not self._profile_alive[profile]:
            return None
        at = offset + _HEADER.size + code_size
        expires = None
        if flags & _HAS_EXPIRY:
            expires = _EXPIRES.unpack_from(segment, at)[0]
            at += 8
        raw = segment[at : at + link_size]
        link_id = raw.hex() if flags & _LINK_HEX else raw.decode()
        at += link_size
        campaign = None
        if flags & _HAS_CAMPAIGN:
            if campaign_ref == _NONE:
                campaign = segment[at : at + campaign_size].decode()
                at += campaign_size
            else:
                campaign = self._pool.strings[campaign_ref]
        contact_id = None
        if flags & _HAS_CONTACT:
            contact_id = segment[at : at + contact_size].decode()
            at += contact_size
        location = segment[at : at + location_size].decode()
        # A link with rules (rare) keeps them packed after its location.
        rules = (
            unpack_rules(segment[at + location_size : at + location_size + rules_size])
            if rules_size
            else None
        )
        if query_ref != _NONE:
            location += self._pool.strings[query_ref]
        if flags & _HTTPS:
            location = _HTTPS_PREFIX + location
        tenant_id, click_param = self._profiles[profile]
        collect = bool(flags & _COLLECT)
        fields = (
            link_id,
            tenant_id,
            code,
            location,
            expires,
            campaign,
            contact_id,
            collect,
            click_param,
            rules,
        )
        return ResolvedLink(*fields), deadline

    # -- writing ----------------------------------------------------------------------

    def put(self, code: str, link: ResolvedLink | None, deadline: float) -> bool:
        """Keep ``link`` under ``code`` until ``deadline``; False if it cannot be packed
        (a field too long for its length field): the caller simply does not cache it."""
        key = code.encode()
        record = self._encode(key, link, deadline)
        if record is None:
            return False
        # Appended before the index is probed: making room in the log may change slots.
        position = self._append(record)
        slot = self._find(code, key)
        if self._slots[slot] == _EMPTY:
            self._filled += 1
        else:
            self._forget(slot)
        self._slots[slot] = position
        self._count(_HEADER.unpack_from(record)[1], len(record), +1)
        passed = 0
        while self._live > self.capacity:
            # Second chances end after one turn of the log, so an all-hot log still yields.
            self._clean_one(evict=True, spare=passed <= self._live)
            passed += 1
        for _ in range(8):  # a little cleaning per insert keeps garbage below half the live bytes
            if self._dead_bytes <= (self._live_bytes >> 1) + _SEGMENT:
                break
            self._clean_one(evict=False)
        if self._filled > _MAX_LOAD * (self._mask + 1):
            self._rebuild()
        return True

    def _encode(self, key: bytes, link: ResolvedLink | None, deadline: float) -> bytes | None:
        if len(key) > 255:
            return None
        if link is None:
            return _HEADER.pack(deadline, _NONE, _NONE, _NONE, _NEGATIVE, len(key), 0, 0, 0, 0, 0) + key
        flags = _COLLECT if link.collect_metadata else 0
        parts = [key]  # the code first, at a fixed place: a probe reads it
        if link.expires_at_ms is not None:
            flags |= _HAS_EXPIRY
            parts.append(_EXPIRES.pack(link.expires_at_ms))
        link_bytes = _hex_id(link.link_id)
        if link_bytes is not None:
            flags |= _LINK_HEX
        else:
            link_bytes = link.link_id.encode()
        parts.append(link_bytes)
        campaign_ref = _NONE
        campaign_size = 0
        if link.campaign is not None:
            flags |= _HAS_CAMPAIGN
            campaign_ref = self._pool.number(link.campaign)
            if campaign_ref == _NONE:
                campaign_bytes = link.campaign.encode()
                campaign_size = len(campaign_bytes)
                parts.append(campaign_bytes)
        contact_size = 0
        if link.contact_id is not None:
            flags |= _HAS_CONTACT
            contact = link.contact_id.encode()
            contact_size = len(contact)
            parts.append(contact)
        location = link.location
        if location.startswith(_HTTPS_PREFIX):
            flags |= _HTTPS
            location = location[len(_HTTPS_PREFIX) :]
        query_ref = _NONE
        mark = location.find("?")
        if mark >= 0:
            query_ref = self._pool.number(location[mark:])
            if query_ref != _NONE:
                location = location[:mark]
        location_bytes = location.encode()
        parts.append(location_bytes)
        rules = b"" if link.rules is None else pack_rules(link.rules)
        parts.append(rules)
        if (
            len(link_bytes) > 255
            or max(campaign_size, contact_size, len(location_bytes), len(rules)) > 0xFFFF
        ):
            return None
        profile = self._profile(link.tenant_id, link.click_param)
        header = _HEADER.pack(
            deadline, profile, campaign_ref, query_ref, flags, len(key), len(link_bytes), campaign_size,
            contact_size, len(location_bytes), len(rules),
        )  # fmt: skip
        record = header + b"".join(parts)
        return record if len(record) < _SEGMENT else None

    def _profile(self, tenant_id: str, click_param: str | None) -> int:
        key = (tenant_id, click_param)
        number = self._profile_numbers.get(key)
        if number is None:
            number = self._profile_numbers[key] = len(self._profiles)
            self._profiles.append(key)
            self._profile_alive.append(True)
            self._profile_links.append(0)
            self._profile_bytes.append(0)
        return number

    def _append(self, record: bytes) -> int:
        if self._tail + len(record) > _SEGMENT:
            self._used[self._tail_segment] = self._tail
            following = (self._tail_segment + 1) % _RING
            while self._segments[following] is not None:  # 4 GiB of log: make room
                self._clean_one(evict=True, spare=False)
            self._segments[following] = bytearray(_SEGMENT)
            self._tail_segment, self._tail = following, 0
        segment = self._segments[self._tail_segment]
        assert segment is not None
        segment[self._tail : self._tail + len(record)] = record
        position = self._tail_segment << _SEGMENT_BITS | self._tail
        self._tail += len(record)
        return position

    def _size(self, segment: bytearray, offset: int) -> int:
        _, _, _, _, flags, code, link, campaign, contact, location, rules = _HEADER.unpack_from(
            segment, offset
        )
        extra: int = 8 if flags & _HAS_EXPIRY else 0
        return _HEADER.size + extra + int(code + link + campaign + contact + location + rules)

    def _is_live(self, segment: bytearray, offset: int) -> bool:
        profile: int = _HEADER.unpack_from(segment, offset)[1]
        return profile == _NONE or self._profile_alive[profile]

    def _count(self, profile: int, size: int, sign: int) -> None:
        self._live += sign
        self._live_bytes += sign * size
        if profile != _NONE:
            self._profile_links[profile] += sign
            self._profile_bytes[profile] += sign * size

    def _forget(self, slot: int) -> None:
        """The record in ``slot`` becomes garbage (the slot itself is the caller's)."""
        position = self._slots[slot]
        segment = self._segments[position >> _SEGMENT_BITS]
        assert segment is not None
        offset = position & _OFFSET_MASK
        if self._is_live(segment, offset):
            size = self._size(segment, offset)
            self._count(_HEADER.unpack_from(segment, offset)[1], size, -1)
            self._dead_bytes += size

    def remove(self, code: str) -> None:
        slot = self._find(code, code.encode())
        if self._slots[slot] != _EMPTY:
            self._forget(slot)
            self._vacate(slot)

    def remove_tenant(self, tenant_id: str) -> None:
        for key, number in list(self._profile_numbers.items()):
            if key[0] == tenant_id:
                del self._profile_numbers[key]
                self._profile_alive[number] = False
                self._live -= self._profile_links[number]
                self._live_bytes -= self._profile_bytes[number]
                self._dead_bytes += self._profile_bytes[number]

    # -- cleaning ---------------------------------------------------------------------

    def _clean_one(self, evict: bool, spare: bool = True) -> None:
        """Pass the record at the head of the log: drop it if dead; if ``evict`` and it
        has had no second chance, evict it; else move it to the end."""
        ring, offset = self._head >> _SEGMENT_BITS, self._head & _OFFSET_MASK
        if ring == self._tail_segment and offset >= self._tail:
            return  # the log is empty
        segment = self._segments[ring]
        assert segment is not None
        if ring != self._tail_segment and offset >= self._used[ring]:
            self._segments[ring] = None  # passed: its memory goes back
            self._head = ((ring + 1) % _RING) << _SEGMENT_BITS
            return
        size = self._size(segment, offset)
        self._head += size
        key = self._code_at(segment, offset)
        code = key.decode()
        slot = self._find(code, key)
        if self._slots[slot] != ring << _SEGMENT_BITS | offset:
            self._dead_bytes -= size  # replaced or removed since
            return
        if not self._is_live(segment, offset):  # its tenant's links were dropped
            self._dead_bytes -= size
            self._vacate(slot)
            return
        flags = segment[offset + _FLAGS_AT]
        if evict and not (spare and (flags & _REFERENCED or self._spare(code))):
            self._count(_HEADER.unpack_from(segment, offset)[1], size, -1)
            self._vacate(slot)
            self.evictions += 1
            self._dropped(code)
            return
        record = bytearray(segment[offset : offset + size])
        record[_FLAGS_AT] = flags & ~_REFERENCED
        moved = self._append(bytes(record))
        self._slots[self._find(code, key)] = moved  # found again: making room may shift slots

    def _vacate(self, slot: int) -> None:
        """Empty ``slot`` and shift the rest of its run back where they may go (backward
        shift deletion): no tombstones, so a lookup never steps over removed entries and
        the index needs no rebuild however many removals and evictions it sees."""
        slots, mask, segments = self._slots, self._mask, self._segments
        hole = following = slot
        while True:
            following = (following + 1) & mask
            position = slots[following]
            if position == _EMPTY:
                break
            segment = segments[position >> _SEGMENT_BITS]
            assert segment is not None
            home = hash(self._code_at(segment, position & _OFFSET_MASK).decode()) & mask
            # It may fill the hole if the hole lies on its probe path: from home to where it is.
            if (following - home) & mask >= (following - hole) & mask:
                slots[hole] = position
                hole = following
        slots[hole] = _EMPTY
        self._filled -= 1

    def _rebuild(self) -> None:
        """A fresh index at most half full: 8.4 MB for a million links."""
        old = self._slots
        size = 1024
        while self._filled > size // 2:
            size *= 2
        self._slots = slots = array("I", [_EMPTY]) * size
        self._mask = mask = size - 1
        segments = self._segments
        for position in old:
            if position == _EMPTY:
                continue
            segment = segments[position >> _SEGMENT_BITS]
            assert segment is not None
            slot = hash(self._code_at(segment, position & _OFFSET_MASK).decode()) & mask
            while slots[slot] != _EMPTY:
                slot = (slot + 1) & mask
            slots[slot] = position
