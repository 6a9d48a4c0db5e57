"""A visitor's OS and device class from its user agent, as cheaply as a redirect allows.

Only what link targets ask (``smartlinks.rules``: ios, android, windows, macos, linux;
mobile, tablet, desktop), by substring tests rather than a user-agent parser: the
redirector does not load one (tests/support/role_imports.py), and a few ``in`` tests on a
string cost well under a microsecond. Campaign traffic repeats user agents, so the answer
is remembered per user agent all the same (a dict hit is cheaper than the tests).
"""

from __future__ import annotations

from typing import Final

# Distinct user agents remembered; past this the memo starts over (campaign traffic has few).
_MEMO_SIZE: Final = 4096
_memo: dict[str, tuple[str, str]] = {}


def _classify(ua: str) -> tuple[str, str]:
    ipad = "iPad" in ua
    iphone = "iPhone" in ua or "iPod" in ua
    android = "Android" in ua
    if iphone or ipad:
        os = "ios"
    elif android:
        os = "android"
    elif "Windows" in ua:
        os = "windows"
    elif "Macintosh" in ua or "Mac OS X" in ua:
        os = "macos"
    elif "Linux" in ua:
        os = "linux"
    else:
        os = ""
    if ipad or (android and "Mobile" not in ua):
        device = "tablet"
    elif iphone or android or "Mobi" in ua:
        device = "mobile"
    else:
        device = "desktop"
    return os, device


def os_and_device(user_agent: str) -> tuple[str, str]:
    """(os, device): os is '' when none of the five; device is always one of the three."""
    found = _memo.get(user_agent)
    if found is None:
        if len(_memo) >= _MEMO_SIZE:
            _memo.clear()
        found = _memo[user_agent] = _classify(user_agent)
    return found
