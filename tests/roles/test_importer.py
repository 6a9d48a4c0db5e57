"""``smartlinks import`` on a SQLite link store: each format from a small file, the API's
own validation with its error codes in the report, custom codes kept where free, and a
second run of the same file creating nothing."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from roles.cli import main
from roles.import_formats import FileError
from roles.importer import Outcome, import_file
from smartlinks.models import Link, NewLink
from smartlinks.settings import Settings
from smartlinks.store import open_store
from smartlinks.store.base import LinkQuery
from smartlinks.tenant_admin import TenantNotFound

FILES = Path(__file__).parent / "import_files"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SMARTLINKS_DATA_DIR", str(tmp_path / "data"))
    return Settings(data_dir=tmp_path / "data")


def _setup(settings: Settings) -> tuple[str, str]:
    """Tenants "acme" and "other", the latter holding the code Taken999."""

    async def make() -> tuple[str, str]:
        store = open_store(settings)
        await store.open()
        try:
            acme = await store.create_tenant("acme")
            other = await store.create_tenant("other")
            await store.create_link(NewLink(other.id, "https://other.example/", code="Taken999"))
            return acme.id, other.id
        finally:
            await store.close()

    return asyncio.run(make())


def _links(settings: Settings, tenant_id: str) -> dict[str, Link]:
    async def read() -> dict[str, Link]:
        store = open_store(settings)
        await store.open()
        try:
            page = await store.list_links(LinkQuery(tenant_id=tenant_id, limit=200))
            return {link.destination_url: link for link in page.items}
        finally:
            await store.close()

    return asyncio.run(read())


def _import(settings: Settings, name: str, fmt: str, tenant: str = "acme") -> Outcome:
    return asyncio.run(import_file(settings, FILES / name, tenant, fmt))


def test_a_csv_file_is_checked_as_the_api_checks_it_and_codes_are_kept_where_free(settings: Settings) -> None:
    acme, _ = _setup(settings)
    outcome = _import(settings, "links.csv", "csv")
    links = _links(settings, acme)

    spring = links["https://example.com/spring"]
    assert (spring.code, spring.title, spring.campaign, spring.tags) == (
        "Spring26",
        "Spring sale",
        "spring",
        ("newsletter", "sale"),
    )
    assert spring.expires_at is not None and spring.expires_at.year == 2099
    assert links["https://example.com/no-code"].title == "No code given"
    assert len(links["https://example.com/no-code"].code) == 7  # generated
    renamed = {
        url: links[url].code for url in ("https://example.com/bad-code", "https://example.com/reserved")
    }
    renamed["https://example.com/taken"] = links["https://example.com/taken"].code
    assert "my-promo" not in renamed.values() and "admin" not in renamed.values()
    assert renamed["https://example.com/taken"] != "Taken999"
    assert "https://example.com/spring-again" not in links  # Spring26 is this file's first row's
    assert len(links) == 5
    assert (outcome.created, outcome.renamed, outcome.existing, outcome.failed) == (5, 3, 1, 3)
    assert [line[:3] for line in outcome.report] == [
        (4, "Bare1234", "unsupported_scheme"),
        (5, "Ftp12345", "unsupported_scheme"),
        (6, "Past1234", "expires_in_past"),
        (7, "my-promo", "invalid_code"),
        (8, "admin", "code_reserved"),
        (9, "Taken999", "code_taken"),
    ]
    assert outcome.report[5][4] == renamed["https://example.com/taken"]
    assert f"created with the code {renamed['https://example.com/taken']} instead" in outcome.report[5][3]


def test_a_second_run_creates_nothing(settings: Settings) -> None:
    acme, _ = _setup(settings)
    first = _import(settings, "links.csv", "csv")
    before = _links(settings, acme)
    again = _import(settings, "links.csv", "csv")

    assert _links(settings, acme) == before
    assert (again.created, again.existing, again.failed) == (0, first.created + first.existing, first.failed)


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        (
            "shlink.csv",
            "shlink",
            {
                "https://example.com/shlink-one": ("shl1nk01", "Shlink one", ("a", "b")),
                "https://example.com/shlink-two": ("shl1nk02", None, ()),
            },
        ),
        (
            "yourls.csv",
            "yourls",
            {
                "https://example.com/yourls-one": ("yrls0001", "YOURLS one", ()),
                "https://example.com/yourls-two": ("yrls0002", None, ()),
            },
        ),
        (
            "bitly.csv",
            "bitly",
            {
                "https://example.com/bitly-one": ("BitlyOne", "Bitly one", ("promo",)),
                "https://example.com/bitly-two": ("3bItLy2", None, ()),
            },
        ),
    ],
)
def test_each_product_s_export_is_read(
    settings: Settings, name: str, fmt: str, expected: dict[str, tuple[str, str | None, tuple[str, ...]]]
) -> None:
    acme, _ = _setup(settings)
    outcome = _import(settings, name, fmt)
    links = _links(settings, acme)

    assert {url: (link.code, link.title, link.tags) for url, link in links.items()} == expected
    assert (outcome.created, outcome.failed, outcome.report) == (2, 0, [])


def test_a_missing_column_or_tenant_stops_before_any_write(settings: Settings, tmp_path: Path) -> None:
    acme, _ = _setup(settings)
    headless = tmp_path / "no-code.csv"
    headless.write_text("url,title\nhttps://example.com/x,X\n")
    with pytest.raises(FileError, match="code"):
        asyncio.run(import_file(settings, headless, "acme", "csv"))
    with pytest.raises(TenantNotFound):
        _import(settings, "links.csv", "csv", tenant="nobody")
    assert _links(settings, acme) == {}


def test_the_command_writes_the_report_and_says_what_it_did(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    acme, _ = _setup(settings)
    report = tmp_path / "report.csv"
    status = main(["import", str(FILES / "links.csv"), "--tenant", acme, "--report", str(report)])
    out = capsys.readouterr().out

    assert status == 1  # some rows were refused
    assert "9 rows: 5 links created (3 with a new code), 1 already there, 3 refused" in out
    with report.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["row", "code", "error", "message", "created"]
    assert [row[:3] for row in rows[1:4]] == [
        ["4", "Bare1234", "unsupported_scheme"],
        ["5", "Ftp12345", "unsupported_scheme"],
        ["6", "Past1234", "expires_in_past"],
    ]
    assert main(["import", str(FILES / "shlink.csv"), "--tenant", "acme", "--format", "shlink"]) == 0
    assert main(["import", str(FILES / "links.csv"), "--tenant", "nobody"]) == 2
