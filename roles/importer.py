"""``smartlinks import FILE --tenant ID-OR-NAME``: links from a file into a tenant.

Each row becomes the body of a link create and is checked by the API's own code
(``api.link_input.new_link``), so a row the API would refuse is refused here with the
same error code. Links are written to the link store directly, in batches, which also
works while ``smartlinks up`` runs on the same data directory: each create leaves its
change in the store's outbox, and the running process's change relay polls the outbox
(``smartlinks.outbox``) and brings the new link into its redirect cache within about a
second.

Idempotent: a row is already imported when the tenant has a link with its code, or,
for a row without a usable code, a link with the same destination and title. So running
the same file again creates nothing.

Codes: a row's code is kept when it is free. One another tenant holds, a reserved word,
or one the API would refuse (``my-promo``: codes are 4-12 letters and digits) gets a
generated code instead, and the report says so. Every other refusal leaves the row out,
with its error code in the report.

Report (``--report PATH``, else ``FILE.report.csv`` when there is anything to say): CSV
with ``row`` (the spreadsheet's row number, header = 1), ``code`` (the file's), ``error``
(an error code) and ``message``. Rows with a replaced code are in it too, with
``created`` holding the code the link got.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from api.errors import ApiError
from api.link_input import new_link
from roles.import_formats import FileError, SourceRow, count_rows, read_rows
from smartlinks.models import Link, NewLink, Tenant, utcnow
from smartlinks.settings import Settings
from smartlinks.store import open_store
from smartlinks.store.base import CodeTaken, LinkQuery
from smartlinks.store.link_store import LinkStore
from smartlinks.tenant_admin import TenantNotFound, find_tenant

BATCH = 200
REPORT_COLUMNS = ("row", "code", "error", "message", "created")
_WHY = {
    "code_taken": "the code is taken by another link",
    "invalid_code": "the code is not 4-12 ASCII letters and digits",
    "code_reserved": "the code is reserved for the service itself",
}
_CODE_PROBLEMS = frozenset({"invalid_code", "code_reserved"})


@dataclass
class Outcome:
    created: int = 0
    existing: int = 0
    failed: int = 0
    renamed: int = 0
    report: list[tuple[int, str, str, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.existing + self.failed


class _Known:
    """What the tenant has already: its codes, and its (destination, title) pairs."""

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.contents: set[tuple[str, str | None]] = set()

    def add(self, link: Link) -> None:
        self.codes.add(link.code)
        self.contents.add((link.destination_url, link.title))

    def has(self, new: NewLink) -> bool:
        if new.code is not None and new.code in self.codes:
            return True
        return new.code is None and (new.destination_url, new.title) in self.contents


async def _known(store: LinkStore, tenant_id: str) -> _Known:
    known = _Known()
    after: str | None = None
    while True:
        page = await store.list_links(LinkQuery(tenant_id=tenant_id, limit=200, after_id=after))
        for link in page.items:
            known.add(link)
        if page.next_after_id is None:
            return known
        after = page.next_after_id


class Importer:
    def __init__(self, store: LinkStore, tenant: Tenant, known: _Known, tick: Callable[[int], None]) -> None:
        self.store = store
        self.tenant = tenant
        self.known = known
        self.tick = tick
        self.outcome = Outcome()
        self._batch: list[tuple[SourceRow, NewLink, str | None]] = []

    def _report(self, row: SourceRow, error: str, message: str, created: str = "") -> None:
        self.outcome.report.append((row.number, row.code, error, message, created))

    async def add(self, row: SourceRow) -> None:
        """Check a row as the API would and queue it; a refused row is reported at once."""
        note: str | None = None
        try:
            new = new_link(row.body, self.tenant, utcnow())
        except ApiError as exc:
            if exc.code not in _CODE_PROBLEMS or not row.code:
                self._report(row, exc.code, exc.message)
                self.outcome.failed += 1
                self.tick(1)
                return
            note = exc.code
            try:
                new = new_link({**row.body, "code": None}, self.tenant, utcnow())
            except ApiError as again:
                self._report(row, again.code, again.message)
                self.outcome.failed += 1
                self.tick(1)
                return
        self._batch.append((row, new, note))
        if len(self._batch) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        batch, self._batch = self._batch, []
        wanted: list[tuple[SourceRow, NewLink, str | None]] = []
        pending = _Known()  # this batch's rows so far: a repeat of one is not created twice
        for row, new, note in batch:
            if self.known.has(new) or pending.has(new):
                self.outcome.existing += 1
                continue
            wanted.append((row, new, note))
            pending.codes.update([new.code] if new.code else [])
            pending.contents.add((new.destination_url, new.title))
        done = await self.store.create_links(self.tenant.id, [new for _, new, _ in wanted])
        retry: list[tuple[SourceRow, NewLink, str | None]] = []
        for (row, new, note), result in zip(wanted, done, strict=True):
            if not isinstance(result, CodeTaken):
                self._created(row, result, note)
            elif (new.destination_url, new.title) in self.known.contents:
                self.outcome.existing += 1  # imported before, under a generated code
            else:
                retry.append((row, replace(new, code=None), "code_taken"))
        if retry:
            again = await self.store.create_links(self.tenant.id, [new for _, new, _ in retry])
            for (row, _, note), result in zip(retry, again, strict=True):
                if isinstance(result, CodeTaken):  # pragma: no cover - a generated code is free
                    raise result
                self._created(row, result, note)
        self.tick(len(batch))

    def _created(self, row: SourceRow, link: Link, note: str | None) -> None:
        self.outcome.created += 1
        self.known.add(link)
        if note is not None:
            self.outcome.renamed += 1
            self._report(row, note, f"{_WHY[note]}: created with the code {link.code} instead.", link.code)


def write_report(path: Path, lines: Sequence[tuple[int, str, str, str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(lines)


async def import_file(
    settings: Settings,
    path: Path,
    wanted_tenant: str,
    fmt: str,
    progress: Callable[[int], AbstractContextManager[Callable[[int], None]]] | None = None,
) -> Outcome:
    """Import ``path`` into the tenant; raises TenantNotFound or FileError before any write."""
    store = open_store(settings)
    await store.open()
    try:
        tenant = find_tenant(await store.list_tenants(), wanted_tenant).tenant
        known = await _known(store, tenant.id)
        with path.open(newline="", encoding="utf-8-sig") as file:
            rows = read_rows(file, fmt)
            first = next(rows, None)  # a missing column raises here, before any write
            counter = progress(count_rows(path)) if progress else nullcontext(lambda n: None)
            with counter as tick:
                importer = Importer(store, tenant, known, tick)
                if first is not None:
                    await importer.add(first)
                for row in rows:
                    await importer.add(row)
                await importer.flush()
        return importer.outcome
    finally:
        await store.close()


__all__ = ["FileError", "Outcome", "TenantNotFound", "import_file", "run"]


def run(settings: Settings, path: Path, tenant: str, fmt: str, report: Path | None) -> int:
    """The command: import with a progress bar, print a summary, write the report."""
    from roles.import_progress import progress_bar

    try:
        outcome = asyncio.run(import_file(settings, path, tenant, fmt, progress_bar))
    except (TenantNotFound, FileError) as exc:
        print(f"smartlinks: {exc}")
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"smartlinks: cannot read {path}: {exc}")
        return 2
    print(
        f"{outcome.rows} rows: {outcome.created} links created"
        f" ({outcome.renamed} with a new code), {outcome.existing} already there, {outcome.failed} refused"
    )
    if outcome.report or report is not None:
        target = report or path.with_name(path.name + ".report.csv")
        write_report(target, outcome.report)
        print(f"report: {target}")
    return 1 if outcome.failed else 0
