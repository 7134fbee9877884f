"""The demo feeds' stories, as versions over steps. Every outlet and story here is fictional,
written for this project (the seed scenario follows the *pattern* of ../shared/corpus/seed/, not its prose).

A feed is a list of :class:`Story`; a story yields the :class:`Item` it shows at a step (or None when
it is not in the feed at that step). Steps 0..MAX_STEP:

0  baseline: the earlier piece "US downs Turkish drone in northeast Syria: War monitor", a live blog,
   hard negatives (market correction, Department of Corrections, a retracted paper, a software
   update, an editor's note that introduces a series)
1  the drone piece is gone; the corrected article with its CORRECTION and UPDATED lines appears
2  a headline change, a silent body edit (a number), an editor's note, a Spanish "Corrección:"
3  a whitespace/quote-style-only re-render (no event), a "Clarification:", a French
   "Rectificatif :" and a German "Korrektur:"
The live blog appends one paragraph at every step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

MAX_STEP = 3
DRONE_TITLE = "US downs Turkish drone in northeast Syria: War monitor"
MILITIA_TITLE = "Iraqi militia claims to target US forces in Syria"
FERRY_TITLE = "Harbour ferry moves to winter timetable"


@dataclass(frozen=True)
class Item:
    """One entry as a feed shows it at one step."""

    slug: str
    title: str
    paragraphs: tuple[str, ...]  # HTML blocks, each a complete element
    published: datetime
    updated: datetime
    summary: str
    author: str
    sep: str = "\n"  # how the blocks are joined (a re-render may change only this)

    @property
    def html(self) -> str:
        return self.sep.join(self.paragraphs)


Version = Callable[[int], Item | None]


@dataclass(frozen=True)
class Feed:
    """One demo feed: where it is served and what it says at each step."""

    key: str
    path: str
    kind: str  # rss | atom | jsonfeed
    title: str
    publisher: str
    language: str
    description: str
    stories: tuple[Version, ...] = field(default_factory=tuple)

    def items(self, step: int) -> list[Item]:
        shown = [item for story in self.stories if (item := story(step)) is not None]
        return sorted(shown, key=lambda i: i.published, reverse=True)


def _t(day: int, hour: int, minute: int = 0, tz: int = 0) -> datetime:
    """A November 2023 local time at UTC offset ``tz`` hours, as UTC."""
    return datetime(2023, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=tz)


def _p(*texts: str) -> tuple[str, ...]:
    return tuple(f"<p>{t}</p>" for t in texts)


def _fixed(item: Item, first_step: int = 0, last_step: int = MAX_STEP) -> Version:
    return lambda step: item if first_step <= step <= last_step else None


# --- Zagros Ledger: the seed scenario and a live blog ---------------------------------------------

ZAGROS = "Zagros Ledger"

_drone = Item(
    slug="us-downs-turkish-drone-northeast-syria",
    title=DRONE_TITLE,
    paragraphs=_p(
        "ERBIL, Kurdistan Region - American forces shot down a Turkish drone over Hasaka province on "
        "Sunday, according to a Britain-based war monitor that tracks the Syrian conflict.",
        "The monitor said the drone was flying close to a base used by US troops when it was brought "
        "down. It gave no details on casualties or on how the aircraft was intercepted.",
        "Neither Ankara nor the US-led coalition had commented by the time of publication.",
    ),
    published=_t(5, 15, 5, tz=3),
    updated=_t(5, 15, 5, tz=3),
    summary="A war monitor says US forces brought down a Turkish drone near one of their bases in Hasaka.",
    author="Zagros Ledger staff",
)

_militia = Item(
    slug="iraqi-militia-claims-target-us-forces-syria",
    title=MILITIA_TITLE,
    paragraphs=(
        "<p>A+ A-</p>",
        *_p(
            "ERBIL, Kurdistan Region - An Iran-aligned Iraqi armed group said on Sunday that it had sent "
            "drones against a base hosting American soldiers in northeast Syria.",
            "The group, which operates under the banner of the Islamic Resistance in Iraq, named the Tel "
            "Baydar base in Hasaka province as its target in a short statement posted online.",
            "A Britain-based war monitor said drones had approached from the Iraqi side of the border and "
            "that residents heard at least one blast near the base. The monitor had earlier described the "
            "aircraft as Turkish.",
            "The Zagros Ledger asked the US-led coalition to confirm the attack but had not received a reply "
            "by the time of publication.",
            "The same network has claimed most of the recent strikes on US positions in Iraq and Syria, "
            "which it ties to Washington's backing of Israel in the war in Gaza. US officials say their "
            "forces will answer any attack.",
            'CORRECTION: This corrects a previous piece titled "US downs Turkish drone in northeast Syria: '
            'War monitor" after the original source retracted its story.',
            "UPDATED at 8:35 pm with the correction",
        ),
        "<h3>Comments</h3>",
        *_p(
            "Zagros Ledger moderates all comments before they appear. We are glad to host discussion "
            "that stays on the subject of the article, including criticism of our reporting.",
            "Comments containing insults, threats, hate speech or advertising will not be approved, and "
            "approved comments are published exactly as written.",
        ),
        "<h3>Post a comment</h3>",
        "<label>Required</label>",
        "<label>Required</label>",
    ),
    published=_t(5, 17, 20, tz=3),
    updated=_t(5, 20, 35, tz=3),
    summary="An Iran-aligned group says it targeted a base with US troops in Hasaka province.",
    author="Zagros Ledger staff",
)

_LIVE_POSTS = _p(
    "09:10 - Aid agencies say the first lorries carrying drinking water and blankets have left Duhok city "
    "for villages cut off by Thursday's floods.",
    "10:45 - The provincial council says three bridges on the road to Amedi remain closed while engineers "
    "inspect them, so convoys are taking the longer mountain route.",
    "12:30 - A convoy of eleven vehicles has reached the village of Bamarni, where residents have been "
    "sheltering in the school since the river burst its banks.",
    "14:05 - Volunteers from Zakho are unloading food parcels at the mosque in Sarsink, and a mobile clinic "
    "has started seeing patients there.",
    "16:20 - Forecasters expect dry weather for the rest of the week, which officials say should let the "
    "remaining roads reopen by Saturday.",
)


def _live(step: int) -> Item:
    return Item(
        slug="live-flood-relief-convoys-duhok",
        title="Live: Flood relief convoys reach villages in Duhok province",
        paragraphs=_LIVE_POSTS[: 2 + step],
        published=_t(5, 9, 10, tz=3),
        updated=_t(5, 10, 45, tz=3) + timedelta(hours=2 * step),
        summary="Rolling coverage of relief convoys reaching flood-hit villages in Duhok province.",
        author="Zagros Ledger live desk",
    )


# --- Harbourside Courier: headline change, silent edit, re-render, negatives, clarification --------

_bridge_body = _p(
    "Councillors spent almost five hours debating the proposed toll on the Harbour Bridge before the vote "
    "on Tuesday night.",
    "The charge would apply to cars crossing between 7am and 10am on weekdays, with buses and bicycles "
    "exempt. Money raised would pay for repairs to the bridge deck.",
    "Opponents said the toll would push traffic onto the older Quay Street crossing, which is already "
    "congested at peak times.",
)


def _bridge(step: int) -> Item:
    return Item(
        slug="harbour-bridge-toll-vote",
        title=(
            "Council delays vote on Harbour Bridge toll"
            if step < 2
            else "Council backs Harbour Bridge toll after five-hour debate"
        ),
        paragraphs=_bridge_body,
        published=_t(6, 22, 10),
        updated=_t(6, 22, 10) if step < 2 else _t(7, 8, 0),
        summary="Councillors debated a weekday morning toll on the Harbour Bridge.",
        author="Priya Halloran",
    )


def _bus(step: int) -> Item:
    injured = "12" if step < 2 else "14"
    return Item(
        slug="bus-leaves-coast-road-millbrook-fog",
        title="Bus leaves coast road near Millbrook in morning fog",
        paragraphs=_p(
            "A regional bus slid off the coast road north of Millbrook on Monday morning after the driver "
            "lost sight of the verge in thick fog.",
            f"Paramedics said {injured} passengers were taken to Millbrook General Hospital with minor "
            "injuries, and the driver was treated at the scene.",
            "The road was closed for four hours while a crane lifted the bus back onto the carriageway.",
        ),
        published=_t(6, 9, 40),
        updated=_t(6, 9, 40) if step < 2 else _t(7, 8, 5),
        summary="A bus slid off the coast road north of Millbrook in thick fog.",
        author="Tom Reyes",
    )


def _ferry(step: int) -> Item:
    """Step 3 re-renders the same text: curly quotes, extra whitespace. No event may come of it."""
    if step < 3:
        blocks = _p(
            "The harbour ferry will run every 40 minutes from 1 December, the operator said, calling the "
            'change "the usual winter pattern".',
            "The last departure from Pier 2 moves from 11pm to 10.20pm, and the Sunday service will start "
            "an hour later.",
            "Season tickets bought before the change remain valid.",
        )
        sep = "\n"
    else:
        blocks = (
            "<p>The harbour  ferry will run every 40 minutes from 1 December, the operator said,\n  calling the "
            "change \u201cthe usual winter pattern\u201d.</p>",
            "<p>\n  The last departure from Pier 2 moves from 11pm to 10.20pm, and the Sunday service will start "
            "an hour later.\n</p>",
            "<p>Season tickets bought before the change remain valid. </p>",
        )
        sep = "\n\n"
    return Item(
        slug="harbour-ferry-winter-timetable",
        title=FERRY_TITLE,
        paragraphs=blocks,
        published=_t(6, 7, 30),
        updated=_t(6, 7, 30),
        summary="The harbour ferry runs less often from 1 December.",
        author="Tom Reyes",
        sep=sep,
    )


_market = Item(
    slug="shares-slide-sharp-market-correction",
    title="Harbourside shares slide as traders brace for a sharp market correction",
    paragraphs=_p(
        "Shares in the port's three listed shipping companies fell for a fourth day on Monday.",
        "Analysts at Quayline Securities said prices had risen too fast over the summer and that a sharp "
        "market correction was overdue. One fund manager said the fall was a correction rather than a crash.",
        "Trading volumes were roughly double the monthly average.",
    ),
    published=_t(6, 16, 45),
    updated=_t(6, 16, 45),
    summary="Analysts said the fall in shipping shares was a long-expected correction.",
    author="Lena Marsh",
)

_prison = Item(
    slug="department-of-corrections-training-centre",
    title="Department of Corrections opens training centre at old naval yard",
    paragraphs=_p(
        "The state Department of Corrections has opened a training centre for new prison officers in a "
        "converted warehouse at the old naval yard.",
        "The department said the centre would train about 300 recruits a year, and that the first class "
        "of 40 began their course on Monday.",
    ),
    published=_t(6, 11, 0),
    updated=_t(6, 11, 0),
    summary="New prison officers will train in a converted warehouse at the old naval yard.",
    author="Priya Halloran",
)


def _library(step: int) -> Item:
    blocks = _p(
        "Harbourside libraries will stay open until 9pm on weekdays from next month, the council said.",
        "The change is funded for one year and will be reviewed next autumn after a count of visitors.",
    )
    if step >= 3:
        blocks += _p(
            "Clarification: This article has been amended to make clear that the later opening hours apply "
            "only to the central library on Dock Road, not to the four neighbourhood branches."
        )
    return Item(
        slug="libraries-later-opening-hours",
        title="Libraries to open later on weekday evenings",
        paragraphs=blocks,
        published=_t(6, 13, 15),
        updated=_t(6, 13, 15) if step < 3 else _t(7, 10, 0),
        summary="Weekday opening hours are extended to 9pm from next month.",
        author="Lena Marsh",
    )


# --- Northfield Review (Atom): negatives and an editor's note ------------------------------------

_paper = Item(
    slug="journal-retracts-sleep-memory-study",
    title="Journal retracts study linking short naps to better memory",
    paragraphs=_p(
        "A psychology journal has retracted a widely shared 2021 study that claimed a 15-minute nap "
        "improved word recall by a third.",
        "The journal said the authors could not supply the raw data behind two of the experiments, and "
        "that an independent analysis found the published figures could not be reproduced.",
        "The lead author said the team disagreed with the decision and would publish a corrected analysis elsewhere.",
    ),
    published=_t(6, 14, 0),
    updated=_t(6, 14, 0),
    summary="The journal said the authors could not supply the raw data behind two experiments.",
    author="Dr. Ama Boateng",
)

_parking = Item(
    slug="parking-app-update-payment-errors",
    title="City parking app update fixes double payment errors",
    paragraphs=_p(
        "Drivers using the Northfield parking app should install the latest update, the council said, "
        "after some users were charged twice for a single session.",
        "The update corrects the bug and adds a receipt screen. Refunds for double charges will be paid "
        "automatically within ten working days.",
    ),
    published=_t(6, 12, 30),
    updated=_t(6, 12, 30),
    summary="The new version of the app stops double charges and refunds them automatically.",
    author="Sam Okafor",
)

_series = Item(
    slug="river-towns-part-two-flood-defences",
    title="River towns, part two: the people who build the flood walls",
    paragraphs=_p(
        "Editor's note: This is the second article in a four-part series on life along the River Wend. "
        "Part one looked at the towns' disappearing ferries.",
        "Every morning at six, a crew of nine sets out from the depot at Astley Lock to check the sluices.",
        "The walls they maintain were raised by a metre after the floods of 2007, and the crew says the "
        "work has never been busier.",
    ),
    published=_t(6, 6, 0),
    updated=_t(6, 6, 0),
    summary="The second part of our series on the River Wend follows the flood defence crew.",
    author="Sam Okafor",
)


def _mill(step: int) -> Item:
    blocks = _p(
        "Restorers have finished rebuilding the waterwheel at Ashby Mill, which last turned in 1962.",
        "Volunteers from the mill's trust spent three winters shaping the oak paddles by hand.",
        "The mill will grind flour for visitors on the first Sunday of every month from spring.",
    )
    if step >= 2:
        blocks += _p(
            "Editor's note: This article has been updated to include a response from the Ashby Mill Trust, "
            "which was received after publication."
        )
    return Item(
        slug="ashby-mill-waterwheel-restored",
        title="Waterwheel turns again at Ashby Mill",
        paragraphs=blocks,
        published=_t(6, 10, 0),
        updated=_t(6, 10, 0) if step < 2 else _t(7, 9, 30),
        summary="The waterwheel at Ashby Mill has been rebuilt by volunteers.",
        author="Dr. Ama Boateng",
    )


# --- Correo del Valle (JSON Feed, Spanish) ------------------------------------------------------


def _mercado(step: int) -> Item:
    blocks = _p(
        "El ayuntamiento de Valdeluna ampliará el horario del mercado central a partir del próximo mes.",
        "Los puestos podrán abrir hasta las nueve de la noche de lunes a viernes, según acordó el pleno.",
    )
    if step >= 2:
        blocks += _p(
            "Corrección: Una versión anterior de este artículo indicaba que el mercado abriría también los "
            "domingos. El acuerdo solo amplía el horario de los días laborables."
        )
    return Item(
        slug="mercado-central-amplia-horario",
        title="El mercado central de Valdeluna amplía su horario",
        paragraphs=blocks,
        published=_t(6, 12, 0, tz=1),
        updated=_t(6, 12, 0, tz=1) if step < 2 else _t(7, 9, 0, tz=1),
        summary="Los puestos podrán abrir hasta las nueve de la noche entre semana.",
        author="Marta Gil",
    )


_lluvia = Item(
    slug="lluvias-embalse-valdeluna",
    title="Las lluvias de otoño elevan el embalse de Valdeluna al 60 por ciento",
    paragraphs=_p(
        "Las tormentas de las últimas dos semanas han elevado el nivel del embalse hasta el 60 por ciento de "
        "su capacidad.",
        "La confederación hidrográfica mantiene por ahora las restricciones de riego aprobadas en verano.",
    ),
    published=_t(6, 8, 30, tz=1),
    updated=_t(6, 8, 30, tz=1),
    summary="El embalse alcanza el 60 por ciento tras las tormentas.",
    author="Marta Gil",
)


# --- Le Veilleur (RSS, French) and Rheinblick (RSS, German) --------------------------------------


def _mediatheque(step: int) -> Item:
    blocks = _p(
        "La médiathèque de Lunel-sur-Orb a rouvert samedi après dix-huit mois de travaux.",
        "Le bâtiment dispose désormais d'un espace pour les jeunes et d'une salle d'exposition au rez-de-chaussée.",
    )
    if step >= 3:
        blocks += _p(
            "Rectificatif : Dans une version précédente de cet article, nous indiquions que les travaux avaient "
            "coûté 2 millions d'euros. Le montant exact est de 1,2 million d'euros."
        )
    return Item(
        slug="mediatheque-lunel-rouvre",
        title="La médiathèque de Lunel-sur-Orb rouvre ses portes",
        paragraphs=blocks,
        published=_t(6, 11, 0, tz=1),
        updated=_t(6, 11, 0, tz=1) if step < 3 else _t(7, 11, 0, tz=1),
        summary="Après dix-huit mois de travaux, la médiathèque accueille de nouveau le public.",
        author="Claire Vidal",
    )


def _radbruecke(step: int) -> Item:
    blocks = _p(
        "Die neue Radbrücke über den Kanal am Westhafen ist am Montag für den Verkehr freigegeben worden.",
        "Nach Angaben der Stadt nutzen bereits am ersten Tag mehr als 3000 Radfahrerinnen und Radfahrer die Brücke.",
    )
    if step >= 3:
        blocks += _p(
            "Korrektur: In einer früheren Fassung dieses Artikels hieß es, die Brücke sei 80 Meter lang. "
            "Tatsächlich ist sie 68 Meter lang."
        )
    return Item(
        slug="radbruecke-westhafen-freigegeben",
        title="Neue Radbrücke am Westhafen freigegeben",
        paragraphs=blocks,
        published=_t(6, 15, 0, tz=1),
        updated=_t(6, 15, 0, tz=1) if step < 3 else _t(7, 12, 0, tz=1),
        summary="Die Brücke verbindet den Westhafen mit dem Stadtteil Kanalufer.",
        author="Jonas Albrecht",
    )


FEEDS: tuple[Feed, ...] = (
    Feed(
        key="zagros",
        path="/zagros/rss.xml",
        kind="rss",
        title="Zagros Ledger - Middle East",
        publisher=ZAGROS,
        language="en",
        description="News from Kurdistan, Iraq and Syria (fictional demo outlet).",
        stories=(_fixed(_drone, 0, 0), _fixed(_militia, 1), _live),
    ),
    Feed(
        key="harbourside",
        path="/harbourside/rss.xml",
        kind="rss",
        title="Harbourside Courier - Local",
        publisher="Harbourside Courier",
        language="en",
        description="Local news for the harbour towns (fictional demo outlet).",
        stories=(_bridge, _bus, _ferry, _fixed(_market), _fixed(_prison), _library),
    ),
    Feed(
        key="northfield",
        path="/northfield/atom.xml",
        kind="atom",
        title="Northfield Review",
        publisher="Northfield Review",
        language="en",
        description="Science, technology and features (fictional demo outlet).",
        stories=(_fixed(_paper), _fixed(_parking), _fixed(_series), _mill),
    ),
    Feed(
        key="correo",
        path="/correo/feed.json",
        kind="jsonfeed",
        title="Correo del Valle",
        publisher="Correo del Valle",
        language="es",
        description="Noticias de Valdeluna (medio ficticio de demostración).",
        stories=(_mercado, _fixed(_lluvia)),
    ),
    Feed(
        key="veilleur",
        path="/veilleur/rss.xml",
        kind="rss",
        title="Le Veilleur - Région",
        publisher="Le Veilleur",
        language="fr",
        description="L'actualité de la région (média fictif de démonstration).",
        stories=(_mediatheque,),
    ),
    Feed(
        key="rheinblick",
        path="/rheinblick/rss.xml",
        kind="rss",
        title="Rheinblick - Stadt",
        publisher="Rheinblick",
        language="de",
        description="Nachrichten aus der Stadt (fiktives Demo-Medium).",
        stories=(_radbruecke,),
    ),
)


def expected_events() -> list[dict[str, object]]:
    """The events the demo should make the pipeline emit, in step order.

    ``method`` is ``notice`` (a notice in the text) or ``diff`` (a change between versions);
    ``required`` is False where a reasonable detector may or may not report it.
    """

    def event(
        step: int,
        feed: str,
        kind: str,
        title: str,
        method: str = "notice",
        referenced_title: str | None = None,
        required: bool = True,
        language: str = "en",
    ) -> dict[str, object]:
        publisher = next(f.publisher for f in FEEDS if f.key == feed)
        return {
            "step": step,
            "feed": feed,
            "publisher": publisher,
            "type": kind,
            "method": method,
            "title": title,
            "referenced_title": referenced_title,
            "language": language,
            "required": required,
        }

    live = "Live: Flood relief convoys reach villages in Duhok province"
    return [
        event(1, "zagros", "correction", MILITIA_TITLE, referenced_title=DRONE_TITLE),
        # "UPDATED at 8:35 pm with the correction": an update line that only announces the correction
        event(1, "zagros", "update", MILITIA_TITLE, required=False),
        event(1, "zagros", "update", live, method="diff"),
        event(2, "zagros", "update", live, method="diff"),
        event(2, "harbourside", "headline_change", "Council backs Harbour Bridge toll after five-hour debate", "diff"),
        event(2, "harbourside", "content_change", "Bus leaves coast road near Millbrook in morning fog", "diff"),
        event(2, "northfield", "editors_note", "Waterwheel turns again at Ashby Mill"),
        event(2, "correo", "correction", "El mercado central de Valdeluna amplía su horario", language="es"),
        event(3, "zagros", "update", live, method="diff"),
        event(3, "harbourside", "clarification", "Libraries to open later on weekday evenings"),
        event(3, "veilleur", "correction", "La médiathèque de Lunel-sur-Orb rouvre ses portes", language="fr"),
        event(3, "rheinblick", "correction", "Neue Radbrücke am Westhafen freigegeben", language="de"),
    ]


def hard_negatives() -> list[dict[str, object]]:
    """Entries that must produce no event at all (cue words used in another sense, or pure noise)."""
    return [
        {"feed": "harbourside", "title": _market.title, "why": "a sharp market correction"},
        {"feed": "harbourside", "title": _prison.title, "why": "Department of Corrections"},
        {
            "feed": "harbourside",
            "title": "Harbour ferry moves to winter timetable",
            "why": "whitespace/quote re-render",
        },
        {"feed": "northfield", "title": _paper.title, "why": "news about a retracted paper"},
        {"feed": "northfield", "title": _parking.title, "why": "a software update"},
        {"feed": "northfield", "title": _series.title, "why": "an editor's note introducing a series"},
    ]
