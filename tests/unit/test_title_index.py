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
