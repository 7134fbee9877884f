"""The title index: publisher-scoped normalized keys, exact and fuzzy lookup, removal."""

from __future__ import annotations

from consumers.title_index import TitleIndex, normalize_title, title_key


def test_title_key_is_noise_insensitive_and_publisher_scoped() -> None:
    a = title_key("Rudaw", "US downs Turkish drone in northeast Syria: War monitor")
    assert a == title_key(" rudaw ", "“US downs Turkish drone in northeast Syria” — war monitor")
    assert a == "rudaw|us downs turkish drone in northeast syria war monitor"
    assert a != title_key("Reuters", "US downs Turkish drone in northeast Syria: War monitor")
    assert title_key(None, "A b") == "|a b"
    assert normalize_title("  Ça  va?  ") == "ça va"


def test_exact_and_fuzzy_lookup_with_scores() -> None:
    index = TitleIndex()
    index.add("Rudaw", "US downs Turkish drone in northeast Syria: War monitor", "a1")
    index.add("Rudaw", "Iraqi militia claims to target US forces in Syria", "a2")
    index.add("Reuters", "US downs Turkish drone in Syria", "r1")
    assert len(index) == 3
    assert index.lookup("Rudaw", "US downs Turkish drone in northeast Syria: war monitor") == ("a1", 1.0)
    fuzzy = index.lookup("Rudaw", "US downs Turkish drone in north-east Syria, war monitor says")
    assert fuzzy is not None and fuzzy[0] == "a1" and 0.72 <= fuzzy[1] < 1.0
    # scoped: another publisher's headline is not found
    assert index.lookup("BBC", "US downs Turkish drone in northeast Syria: War monitor") is None
    assert index.lookup("Rudaw", "Completely different headline about elections") is None
    assert index.lookup("Rudaw", "") is None


def test_add_replaces_and_remove_forgets() -> None:
    index = TitleIndex()
    key = index.add("P", "Storm knocks out power to 40,000 homes", "old")
    assert key is not None
    index.add("P", "Storm knocks out power to 40,000 homes", "new")
    assert len(index) == 1 and index.get(key) == "new"
    index.add_key(title_key("P", "Another storm story here"), "x")
    index.remove(key)
    index.remove("p|never added")
    assert len(index) == 1
    assert index.lookup("P", "Storm knocks out power to 40,000 homes") is None
    assert index.add("P", "   ", "empty") is None


def test_many_keys_agree_with_a_dict_through_resizes_merges_and_rebuilds(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import random

    from consumers import title_index

    # small thresholds so a few thousand keys exercise run merges and rebuilds
    monkeypatch.setattr(title_index, "_FRESH_MAX", 64)
    monkeypatch.setattr(title_index, "_DEAD_MIN", 50)
    monkeypatch.setattr(title_index, "_DEAD_FRACTION", 20)
    rng = random.Random(5)
    words = [f"word{n}" for n in range(300)]
    index, model = TitleIndex(), {}
    for step in range(6_000):
        publisher = f"P{rng.randrange(5)}"
        title = " ".join(rng.sample(words, 5)) if rng.random() < 0.7 or not model else None
        if title is None:
            key = rng.choice(list(model))
            if rng.random() < 0.5:
                index.remove(key)
                del model[key]
            else:  # replace: same-length id in place, or a longer one (a new record)
                ident = f"id{step}" if rng.random() < 0.5 else f"id-longer-{step}"
                index.add_key(key, ident)
                model[key] = ident
            continue
        key = index.add(publisher, title, f"id{step}")
        assert key is not None
        model[key] = f"id{step}"
    assert len(index) == len(model)
    # runs were merged, and rebuilds dropped the ~800 removed or superseded records
    assert 1 < len(index._runs) < 12 and len(index._dead) <= max(50, len(index) // 20)
    assert all(index.get(k) == v for k, v in model.items())
    assert index.get("p0|absent title") is None and "p0|absent title" not in index
    # fuzzy: a live headline with one word changed resolves to its id, in its own scope only
    for key, ident in list(model.items())[:50]:
        scope, _, norm = key.partition("|")
        altered = norm.rsplit(" ", 1)[0] + " somethingelse"
        hit = index.lookup(scope, altered)
        assert hit is not None and hit[1] >= title_index.MIN_SCORE
        assert hit[0] == ident
        assert index.lookup("another publisher", norm) is None
