"""``smartlinks demo``: a demo tenant with links, a campaign and 90 days of clicks.

The tenant (``demo`` unless ``--tenant`` names another) gets a handful of links (titles,
tags, one A/B test), the ``spring-sale`` campaign's landing page and a link per contact,
and an API key, printed once. Its clicks go through the real pipeline: each is the
``ClickEvent`` the redirector writes (roles/demo_traffic.py), appended to the same edge
log a redirect appends to, and stored by the real consumer (enrichment, bot detection,
visitor classification, de-duplication, rollups); deliveries and conversions are checked
by the API's own code (``api.funnel_events.funnel_event``) and go through its funnel log.

Embedded (no Kafka): this process runs the consumer, the redirector's log and the API's
log itself, like ``smartlinks up`` does, waits until ClickHouse holds everything, then
prints a summary. chDB allows one process per data directory, so while ``smartlinks up``
runs there the command says so and exits with 1. With Kafka, the clicks are published to
its topics and the running consumers store them; the deliveries and conversions follow once
the consumer group has stored the clicks (a conversion stored first would lose its click),
and without a running consumer they wait in the demo's own log for its next run.

Run again, it creates no link twice (links are known by title and contact) and sends no
clicks to a tenant that has some already.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.errors import ApiError
from api.funnel_events import funnel_event
from api.link_input import new_link
from roles import demo_data, demo_places, demo_traffic
from roles.demo_traffic import DemoLinkRef, Traffic
from roles.import_progress import Phase, phases
from schemas.events import FUNNEL_TOPIC, FunnelEvent, funnel_key
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.models import NewLink, Tenant, utcnow
from smartlinks.settings import Settings
from smartlinks.store.base import CodeTaken, LinkQuery
from smartlinks.store.link_store import LinkStore
from smartlinks.tenant_admin import TenantNotFound, find_tenant

# The API takes deliveries and conversions up to 400 days old (api/funnel_events.py).
MAX_DAYS = 365
STALL_SECONDS = 120  # no progress for this long: the consumer is stuck, say so
_CHUNK = 5_000  # events a write: the progress bar moves, memory stays flat


class DemoError(Exception):
    """Why the demo could not be filled: printed as it is, exit status 1."""


@dataclass
class Summary:
    tenant: Tenant
    key: str | None  # None: the tenant was there already, its keys are unchanged
    links: int
    contact_links: int
    created: int
    sent_clicks: int
    clicks: int = 0
    bots: int = 0
    repeats: int = 0
    days: int = 0
    delivered: int = 0
    converted: int = 0
    # With Kafka: the deliveries and conversions (this run's, or an earlier one's) were
    # published, or wait in the demo's log until the consumers have stored the clicks.
    funnel_sent: bool = False
    funnel_held: bool = False
    deliveries: int = 0  # this run's events, with Kafka
    conversions: int = 0


# -- links ---------------------------------------------------------------------------------


def _bodies(contacts: Sequence[str]) -> list[dict[str, Any]]:
    """The create bodies of every demo link, as a client would send them to the API: the
    contacts' links first, so the everyday ones are the newest, at the top of the list."""
    shop = demo_data.SHOP
    bodies: list[dict[str, Any]] = [
        {
            "destination_url": f"{shop}/spring-sale?c={contact}",
            "title": demo_data.CAMPAIGN_TITLE,
            "campaign": demo_data.CAMPAIGN,
            "contact_id": contact,
            "tags": ["spring", "whatsapp"],
        }
        for contact in contacts
    ]
    for link in reversed(demo_data.LINKS):  # the first in the table ends up first in the list
        body: dict[str, Any] = {
            "destination_url": shop + link.path,
            "title": link.title,
            "tags": list(link.tags),
        }
        if link.campaign:
            body["campaign"] = link.campaign
        if link.variants:
            body["variants"] = [{"destination_url": shop + path, "weight": w} for path, w in link.variants]
        bodies.append(body)
    return bodies


async def _ensure_links(store: LinkStore, tenant: Tenant, contacts: Sequence[str]) -> tuple[list[str], int]:
    """The codes of the demo's links, in ``_bodies`` order, creating those the tenant lacks
    (known by title and contact); and how many were created."""
    have: dict[tuple[str | None, str | None], str] = {}
    after: str | None = None
    while True:
        page = await store.list_links(LinkQuery(tenant_id=tenant.id, limit=200, after_id=after))
        for link in page.items:
            have.setdefault((link.title, link.contact_id), link.code)
        if page.next_after_id is None:
            break
        after = page.next_after_id
    now = utcnow()
    news: list[NewLink] = []
    wanted: list[tuple[str | None, str | None]] = []
    for body in _bodies(contacts):
        key = (body["title"], body.get("contact_id"))
        wanted.append(key)
        if key not in have:
            try:
                news.append(new_link(body, tenant, now))  # the API's own checks
            except ApiError as exc:  # pragma: no cover - the demo's own bodies are valid
                raise DemoError(f"demo link {body['title']!r} refused: {exc.code}: {exc.message}") from None
    for start in range(0, len(news), 200):
        for result in await store.create_links(tenant.id, news[start : start + 200]):
            if isinstance(result, CodeTaken):  # pragma: no cover - generated codes are free
                raise result
            have[(result.title, result.contact_id)] = result.code
    return [have[key] for key in wanted], len(news)


async def _tenant(store: LinkStore, name: str) -> tuple[Tenant, str | None]:
    try:
        return find_tenant(await store.list_tenants(), name).tenant, None
    except TenantNotFound:
        pass
    tenant = await store.create_tenant(name)
    _, key = await store.create_api_key(tenant.id, "demo")
    return tenant, key


async def _refs(
    store: LinkStore, codes: list[str]
) -> tuple[list[DemoLinkRef], DemoLinkRef, list[DemoLinkRef]]:
    """The links (codes in ``_bodies`` order) as the redirector resolves them: the
    everyday ones, the sale's landing page, the contacts' links."""
    resolved = await store.resolve_many(codes)
    count = len(codes) - len(demo_data.LINKS)
    contacts = [DemoLinkRef(resolved[code], 0.0) for code in codes[:count]]
    everyday = [
        DemoLinkRef(resolved[code], link.weight, demo_traffic.variant_plan(resolved[code]))
        for code, link in zip(reversed(codes[count:]), demo_data.LINKS, strict=True)
    ]
    return everyday[1:], everyday[0], contacts


# -- the pipeline --------------------------------------------------------------------------


async def _append(log: EventLog, lines: Sequence[bytes], advance: Callable[[int], None]) -> None:
    for start in range(0, len(lines), _CHUNK):
        chunk = lines[start : start + _CHUNK]
        written = [log.append(line) for line in chunk]
        if not all(await asyncio.gather(*written)):
            raise DemoError(f"could not write the events to {log.folder} (is the disk full?)")
        advance(start + len(chunk))


async def _drained(
    reader: EventLogReader, advance: Callable[[int], None], what: str, events: int = 0
) -> None:
    """Until everything written to the log is handed on (stored, or published); ``advance``
    hears about how many of its ``events`` are."""
    total = reader.backlog_bytes()
    left, last_change = total, asyncio.get_running_loop().time()
    while left > 0:
        await asyncio.sleep(0.2)
        now_left = reader.backlog_bytes()
        now = asyncio.get_running_loop().time()
        if now_left != left:
            left, last_change = now_left, now
        elif now - last_change > STALL_SECONDS:
            raise DemoError(f"the {what} made no progress for {STALL_SECONDS} s; see the log above")
        advance(round(events * (total - left) / total) if total else events)
    advance(events)


def _funnel_lines(tenant: Tenant, bodies: list[dict[str, Any]]) -> list[bytes]:
    now = utcnow()
    events: list[FunnelEvent] = []
    for body in bodies:
        try:
            events.append(funnel_event(body, tenant, now, None))
        except ApiError as exc:  # pragma: no cover - the demo's own events are valid
            raise DemoError(f"demo event {body['id']} refused: {exc.code}: {exc.message}") from None
    return [event.to_json() for event in events]


def _traffic(
    settings: Settings, seed: int, visitor_key: bytes, now: datetime, days: int, clicks: int,
    refs: tuple[list[DemoLinkRef], DemoLinkRef, list[DemoLinkRef]],
) -> Traffic:  # fmt: skip
    countries = {*demo_data.COUNTRIES, *demo_data.BOT_COUNTRIES}
    places = demo_places.addresses(settings.geoip_db or None, countries, seed)
    links, landing, contacts = refs
    return demo_traffic.generate(seed, places, visitor_key, now, days, clicks, links, landing, contacts)


def _counts(client: Any, tenant_id: str, summary: Summary) -> None:
    row = client.query(
        "SELECT count(), countIf(is_bot), countIf(kind = 'repeat'), uniqExact(toDate(ts))"
        " FROM clicks WHERE tenant_id = {t:String}",
        parameters={"t": tenant_id},
    ).result_rows[0]
    summary.clicks, summary.bots, summary.repeats, summary.days = (int(value) for value in row)
    summary.delivered = int(
        client.query(
            "SELECT uniqExact(contact_id) FROM deliveries WHERE tenant_id = {t:String}",
            parameters={"t": tenant_id},
        ).result_rows[0][0]
    )
    summary.converted = int(
        client.query(
            "SELECT uniqExact(contact_id) FROM conversions WHERE tenant_id = {t:String}",
            parameters={"t": tenant_id},
        ).result_rows[0][0]
    )


async def fill_embedded(
    settings: Settings, name: str, days: int, clicks: int, seed: int, phase: Phase
) -> Summary:
    """Run the consumer and the two logs in this process (as ``smartlinks up`` does) and
    fill the tenant through them."""
    from roles.api import ApiPart
    from roles.consumer import ConsumerPart
    from roles.process import Process
    from roles.redirector import RedirectorPart

    process = Process(settings, embedded=True)
    process.add(ConsumerPart(process))
    redirector = RedirectorPart(process)
    process.add(redirector)
    api = ApiPart(process)
    process.add(api)
    await process.startup()
    try:
        assert process.click_reader is not None
        assert process.funnel_reader is not None
        # What a cut-off run left in the logs is stored first, so the count below sees it.
        if process.click_reader.backlog_bytes():
            await _drained(process.click_reader, lambda _: None, "consumer")
        await _drained(process.funnel_reader, lambda _: None, "funnel consumer")
        tenant, key = await _tenant(process.store, name)
        contacts = demo_traffic.contact_ids(demo_traffic.contacts_for(clicks), seed)
        codes, created = await _ensure_links(process.store, tenant, contacts)
        summary = Summary(tenant, key, len(demo_data.LINKS), len(contacts), created, 0)
        client = await process.clickhouse()
        _counts(client, tenant.id, summary)
        if summary.clicks == 0:
            refs = await _refs(process.store, codes)
            traffic = await asyncio.to_thread(
                _traffic, settings, seed, process.visitor_key, utcnow(), days, clicks, refs
            )
            lines = [event.to_json() for event in traffic.clicks]
            await _append(redirector.click_log, lines, phase("clicks written", len(lines)))
            stored = phase("clicks stored", len(lines))
            await _drained(process.click_reader, stored, "consumer", len(lines))
            # Conversions name their clicks, so they follow once the clicks are stored.
            funnel = _funnel_lines(tenant, traffic.funnel)
            await _append(api.funnel_log, funnel, phase("funnel events written", len(funnel)))
            stored = phase("funnel events stored", len(funnel))
            await _drained(process.funnel_reader, stored, "funnel consumer", len(funnel))
            summary.sent_clicks = len(lines)
            _counts(client, tenant.id, summary)
        await _outbox_sent(process.store)
        return summary
    finally:
        await process.shutdown()


async def _outbox_sent(store: LinkStore) -> None:
    """Until the change relay has told the analytics' mirror of the new links."""
    for _ in range(300):
        if not await store.pending_changes(limit=1):
            return
        await asyncio.sleep(0.1)


async def fill_kafka(
    settings: Settings, name: str, days: int, clicks: int, seed: int, phase: Phase
) -> Summary:
    """Publish the events to Kafka, for the running consumers to store; the links go to the
    link store, whose outbox the running API processes relay."""
    from aiokafka.errors import KafkaError

    from roles.demo_kafka import clicks_stored
    from smartlinks.kafka.topics import ensure_topics
    from smartlinks.store import open_store

    kafka = settings.kafka_bootstrap_servers
    try:  # before anything is written: a demo Kafka never hears of would wait for nothing
        await ensure_topics(kafka, settings.kafka_click_partitions)
    except KafkaError as exc:
        raise DemoError(
            f"Kafka at {kafka} does not answer ({exc}); start it, or unset"
            " SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS for a demo on this machine alone"
        ) from None
    store = open_store(settings)
    await store.open()
    try:
        tenant, key = await _tenant(store, name)
        contacts = demo_traffic.contact_ids(demo_traffic.contacts_for(clicks), seed)
        codes, created = await _ensure_links(store, tenant, contacts)
        summary = Summary(tenant, key, len(demo_data.LINKS), len(contacts), created, 0)
        traffic: Traffic | None = None
        if created == len(codes):  # a tenant that had its links had its clicks too
            traffic = await asyncio.to_thread(
                _traffic,
                settings,
                seed,
                settings.load_secret_key(),
                utcnow(),
                days,
                clicks,
                await _refs(store, codes),
            )
    finally:
        await store.close()
    # The events wait in logs of the demo's own until Kafka has them, both written before
    # either is published: what a cut-off run left there is shipped by the next one.
    folder = settings.data_dir / "demo-events"
    click_log = EventLog(folder / "clicks", settings.event_fsync_ms)
    funnel_log = EventLog(folder / "funnel-events", settings.event_fsync_ms)
    click_log.open()
    funnel_log.open()
    try:
        click_lines = [event.to_json() for event in traffic.clicks] if traffic else []
        funnel_lines = _funnel_lines(tenant, traffic.funnel) if traffic else []
        summary.conversions = sum(body["type"] == "conversion" for body in traffic.funnel) if traffic else 0
        summary.deliveries = len(funnel_lines) - summary.conversions
        await _append(click_log, click_lines, phase("clicks written", len(click_lines)))
        await _append(funnel_log, funnel_lines, phase("funnel events written", len(funnel_lines)))
        sent = len(click_lines)
        await _publish(settings, EventLogReader(click_log), None, phase("clicks published", sent), sent)
        funnel = EventLogReader(funnel_log)
        if funnel.backlog_bytes():
            # Conversions name their clicks: published before the consumers stored those,
            # they would be kept without them (roles/demo_kafka.py).
            stored = phase("clicks stored (%)", 100)
            try:
                summary.funnel_held = not await clicks_stored(
                    kafka,
                    settings.consumer_group,
                    STALL_SECONDS,
                    lambda done, total: stored(100 * done // total if total else 100),
                )
            except KafkaError:  # Kafka went away: the next run asks again
                summary.funnel_held = True
            if not summary.funnel_held:
                sent = len(funnel_lines)
                await _publish(settings, funnel, FUNNEL_TOPIC, phase("funnel events published", sent), sent)
                summary.funnel_sent = True
        if not summary.funnel_sent:  # a publisher closes the reader it was given
            funnel.close()
    finally:
        await click_log.close()
        await funnel_log.close()
    summary.sent_clicks = len(click_lines)
    return summary


async def _publish(
    settings: Settings,
    reader: EventLogReader,
    topic: str | None,
    advance: Callable[[int], None],
    events: int,
) -> None:
    """Ship what the log holds to Kafka (the clicks topic, or ``topic``) and return once
    the broker has acknowledged all of it; ``advance`` hears of this run's ``events``."""
    from smartlinks.kafka.publisher import KafkaClickPublisher

    if not reader.backlog_bytes():
        reader.close()
        advance(events)
        return
    kafka = settings.kafka_bootstrap_servers
    if topic is None:
        publisher = KafkaClickPublisher(kafka, reader, click_partitions=settings.kafka_click_partitions)
    else:
        publisher = KafkaClickPublisher(
            kafka, reader, topic, settings.kafka_click_partitions, key_of=funnel_key, name="demo-funnel"
        )
    await publisher.start()
    try:
        await _drained(reader, advance, "Kafka publisher", events)
    finally:
        await publisher.stop()


# -- the command ---------------------------------------------------------------------------


def report(summary: Summary, settings: Settings, days: int) -> None:
    tenant = summary.tenant
    print(f"Demo tenant {tenant.name!r} (id {tenant.id}):")
    print(
        f"  links: {summary.links} (titles, tags, an A/B test, campaigns) and {summary.contact_links}"
        f" per-contact links of the campaign {demo_data.CAMPAIGN!r} ({summary.created} created now)"
    )
    if settings.kafka_bootstrap_servers:
        if summary.sent_clicks:
            print(f"  clicks: {summary.sent_clicks:,} over {days} days, published to Kafka")
        else:
            print("  its links were there already: no clicks sent (`--tenant NAME` for another demo)")
        these = (
            f"{summary.deliveries:,} deliveries and {summary.conversions:,} conversions"
            if summary.deliveries
            else "the campaign's deliveries and conversions"
        )
        if summary.funnel_sent:
            print(f"  funnel: {these} published, once the consumers had stored the clicks")
        elif summary.funnel_held:
            print(
                f"  funnel: {these} wait in {settings.data_dir / 'demo-events'} until the consumers"
                f" (group {settings.consumer_group!r}) have stored the clicks: with `smartlinks"
                " consumer` or `smartlinks analytics` running, run `smartlinks demo` again"
            )
    else:
        if summary.sent_clicks == 0:
            print("  it had clicks already: none added (`--tenant NAME` for another demo)")
        print(
            f"  clicks: {summary.clicks:,} on {summary.days} days, {summary.bots:,} of them bots,"
            f" {summary.repeats:,} repeat visits"
        )
        print(f"  funnel: {summary.delivered} contacts delivered to, {summary.converted} converted")
    if settings.kafka_bootstrap_servers:  # no `smartlinks up` here: the API runs apart
        where = "/dashboard of `smartlinks api` or `smartlinks analytics`"
    else:
        where = f"{settings.base_url}/dashboard (start `smartlinks up`)"
    print(f"  dashboard: {where}, signed in with the tenant's key")
    if summary.key:
        print("API key of the demo tenant (shown once, keep it):")
        print(summary.key)
    else:
        print(f"  its API keys are unchanged (`smartlinks key create {tenant.name}` makes a new one)")


def up_answers(settings: Settings) -> bool:
    """Whether a Smart Links process answers on this configuration's port."""
    import httpx

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    where = f"[{host}]" if ":" in host else host
    try:
        return httpx.get(f"http://{where}:{settings.port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def run(settings: Settings, tenant: str, days: int, clicks: int, seed: int) -> int:
    if not tenant.strip():
        print("smartlinks demo: --tenant must not be empty", file=sys.stderr)
        return 2
    if not 1 <= days <= MAX_DAYS or clicks < 1:
        print(f"smartlinks demo: --days must be 1 to {MAX_DAYS} and --clicks at least 1", file=sys.stderr)
        return 2
    if not settings.kafka_bootstrap_servers and settings.clickhouse_url and up_answers(settings):
        # No chDB lock to tell: a process answering on the port would share the edge log.
        print(
            f"smartlinks: stop smartlinks up first: it answers on {settings.base_url}"
            " (the demo runs the consumer itself; start it again after)",
            file=sys.stderr,
        )
        return 1
    fill = fill_kafka if settings.kafka_bootstrap_servers else fill_embedded
    try:
        with phases() as phase:
            summary = asyncio.run(fill(settings, tenant, days, clicks, seed, phase))
    except DemoError as exc:
        print(f"smartlinks demo: {exc}", file=sys.stderr)
        return 1
    report(summary, settings, days)
    return 0
