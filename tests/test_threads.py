"""The models' thread counts come from physical cores (core/models/threads.py), not logical CPUs."""

from __future__ import annotations

import os

from docent.core.models.threads import _linux_cores, embedding_threads, generation_threads, physical_cores

# two cores with hyper-threading: four logical processors
HT = "\n\n".join(
    f"processor\t: {p}\nmodel name\t: X\nphysical id\t: 0\nsiblings\t: 4\ncore id\t\t: {core}\ncpu cores\t: 2"
    for p, core in ((0, 0), (1, 1), (2, 0), (3, 1))
)


def test_physical_cores_are_distinct_core_ids_within_the_affinity_mask() -> None:
    assert _linux_cores(HT, None) == 2  # not 4
    assert _linux_cores(HT, {0, 2}) == 1  # both siblings of core 0
    assert _linux_cores(HT, {0, 1}) == 2
    two_sockets = HT + "\n\n" + HT.replace("physical id\t: 0", "physical id\t: 1").replace("processor\t: ", "processor\t: 1")
    assert _linux_cores(two_sockets, None) == 4
    assert _linux_cores("no processors here", None) == 0


def test_this_machine() -> None:
    n = physical_cores()
    assert 1 <= n <= (os.cpu_count() or 1)


def test_generation_leaves_a_core_free_and_the_embedder_uses_the_cores() -> None:
    assert [generation_threads(c) for c in (1, 2, 4, 6, 16)] == [1, 1, 3, 5, 8]
    assert [embedding_threads(c) for c in (1, 2, 4, 16)] == [1, 2, 4, 8]
