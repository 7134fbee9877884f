"""The dev broker's cluster ids are ones Kafka's storage tool accepts on its command line."""

from __future__ import annotations

import uuid
from unittest import mock

from devtools.kafka import properties


def test_a_cluster_id_never_starts_with_a_dash() -> None:
    # the first id drawn would encode to "-…" (first byte 0xf8 → "-" in URL-safe base64)
    dash_first = uuid.UUID(bytes=b"\xf8" + bytes(15))
    plain = uuid.UUID(bytes=b"\x10" + bytes(15))
    with mock.patch.object(properties.uuid, "uuid4", side_effect=[dash_first, plain]):
        cluster_id = properties.random_cluster_id()
    assert not cluster_id.startswith("-")
    assert len(cluster_id) == 22


def test_many_cluster_ids_are_all_accepted() -> None:
    ids = {properties.random_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000 and not any(i.startswith("-") for i in ids)
