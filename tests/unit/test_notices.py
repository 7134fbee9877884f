"""Notice finding with the packaged model: the seed, wire titles, examples, referenced titles, keys.

The examples here are self-written: they guard behaviour, they are not a measure of quality (that is
the corpus' test split, ``newsstream detect --eval``)."""

from __future__ import annotations

import pytest

from articles.notices import find_notices, notice_key, referenced_title

SEED_TAIL = (
    "The Pentagon in late October blamed Iranian proxies for 27 attacks on its forces in Iraq and Syria.\n\n"
    'CORRECTION:  This corrects a previous piece titled "US downs Turkish drone in northeast Syria: War monitor" '
    "after the original source retracted its story. \n\n"
    "UPDATED at 8:35 pm with the correction"
)


def test_seed_notices_are_a_correction_with_its_referenced_title_and_an_update() -> None:
    found = find_notices("Iraqi militia claims to target US forces in Syria", SEED_TAIL)
    assert [n.type for n in found] == ["correction", "update"]
    correction, update = found
    assert correction.referenced_title == "US downs Turkish drone in northeast Syria: War monitor"
    assert SEED_TAIL[correction.start : correction.end] == correction.text
    assert correction.text.startswith("CORRECTION:")
    assert update.text == "UPDATED at 8:35 pm with the correction"
    assert update.referenced_title is None


@pytest.mark.parametrize(
    "text",
    [
        "Stocks entered a sharp market correction on Thursday, falling more than 10% from their peak.",
        "The inmate was transferred by the Department of Corrections to a maximum-security facility.",
        "Correctional officers at the prison have been working 16-hour shifts.",
        "The journal Nature retracted the paper in March after other labs failed to reproduce its results.",
        "Apple released a software update on Monday that fixes a security flaw in its Safari browser.",
        "Editor's note: This is the third article in a five-part series on the housing crisis.",
        "The New York Times issued a correction on Wednesday, saying its article had misstated the figure.",
        "Die Börse erlebte am Donnerstag eine deutliche Korrektur, der Dax fiel um drei Prozent.",
        "La mise à jour du logiciel a provoqué des pannes chez de nombreux utilisateurs.",
        "La bolsa sufrió una corrección del 8% en apenas una semana.",
        "Updated 10:02 AM EDT, Tue March 5, 2024",
    ],
)
def test_hard_negatives_are_not_notices(text: str) -> None:
    assert find_notices("", text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("An earlier version of this article misstated the year the bridge opened.", "correction"),
        ("We said that the museum would reopen in May. In fact it reopens in June.", "correction"),
        ("In our report (12 March) we erroneously mentioned that Ms Patel is a Green.", "correction"),
        ("We apologise for the error.", "correction"),
        ("This article has been amended to clarify that the grant came from the council.", "clarification"),
        ("This story has been updated with additional reporting.", "update"),
        ("We have retracted this article after learning that quotations were fabricated.", "retraction"),
        ("Editor's note: The name of the victim has been withheld at the request of her family.", "editors_note"),
        ("The headline of this article has been changed to better reflect its content.", "headline_change"),
        ("Korrektur: In einer früheren Version dieses Artikels hieß es, die Wahl sei im September.", "correction"),
        ("Berichtigung: Anders als zunächst berichtet, war der Bürgermeister nicht anwesend.", "correction"),
        (
            "Rectificatif : une précédente version de cet article indiquait par erreur que le maire a démissionné.",
            "correction",
        ),
        ("Correction : contrairement à ce que nous avions écrit, la loi a été adoptée.", "correction"),
        ("Mise à jour : la préfecture a levé l'alerte orange à 18 heures.", "update"),
        (
            "Corrección: Una versión anterior de este artículo indicaba erróneamente que el alcalde dimitió.",
            "correction",
        ),
        ("Fe de errores: En la edición de ayer se publicó por error que el concierto era gratuito.", "correction"),
        ("Actualización: La Guardia Civil ha confirmado que el incendio ya está controlado.", "update"),
    ],
)
def test_notices_are_classified(text: str, kind: str) -> None:
    found = find_notices("", text)
    assert [n.kind for n in found] == [kind], [(n.kind, n.score) for n in found]
    assert 0.0 < found[0].score <= 1.0


def test_notice_in_a_long_paragraph_is_found_as_a_sentence_with_its_span() -> None:
    filler = "The council met on Tuesday to discuss the budget for the coming year. " * 8
    body = "First paragraph.\n\n" + filler + "An earlier version of this article misstated the date of the vote."
    (notice,) = find_notices("Budget talks", body)
    assert notice.type == "correction"
    assert body[notice.start : notice.end] == notice.text
    assert notice.text.startswith("An earlier version")


def test_title_labels_are_notices() -> None:
    (notice,) = find_notices("CORRECTED-UPDATE 2-Oil rises as supply fears mount", "Body text.")
    assert notice.type == "correction" and notice.field == "title"
    (notice,) = find_notices("UPDATE 1-Stocks slide as rate fears return", "")
    assert notice.type == "update"
    assert find_notices("Update your passwords now, experts warn", "") == []


def test_referenced_title_quotes() -> None:
    assert referenced_title("This corrects a story headlined “Mayor resigns” published Monday.") == "Mayor resigns"
    assert referenced_title("Rectificatif à l'article intitulé « Le maire démissionne »") == "Le maire démissionne"
    assert referenced_title("Berichtigung zum Artikel mit dem Titel „Bürgermeister tritt zurück“") == (
        "Bürgermeister tritt zurück"
    )
    assert referenced_title("This corrects an earlier story.") is None


def test_notice_key_ignores_noise_but_not_words() -> None:
    assert notice_key("correction", "CORRECTION: “X” was wrong.") == notice_key(
        "correction", 'correction:  "x" was wrong'
    )
    assert notice_key("correction", "X was wrong") != notice_key("correction", "Y was wrong")


def test_a_notice_about_the_headline_only_is_a_headline_change() -> None:
    from articles.notices.rules import headline_notice

    assert headline_notice("A Tuesday headline on this story wrongly said the bridge had closed.")
    assert headline_notice("An earlier headline misstated the number of ferries.")
    assert headline_notice("The headline “Harbour ferries cut” misrepresented the council's plan.")
    # the text fixed as well: a correction (the corpus' label rule)
    assert not headline_notice("The headline and the second paragraph wrongly said the bridge had closed.")
    assert not headline_notice("An earlier version of this story misstated the number of ferries.")
