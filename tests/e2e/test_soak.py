"""The fault soak (``benchmarks/soak.py``) on 50 uploads through the local stack: every promise kept
with every kind of fault made. It asserts promises and counts, never how long the run took."""
import pytest

from benchmarks import soak
from tests.corpus import FUZZ_FOUND, fuzz_found_files

pytestmark = pytest.mark.e2e

PHOTOS = 50
SEED = 8


def test_the_planned_uploads_hold_every_kind_of_trouble():
    """The seed is fixed, so the plan is too: hostile files, races, replays, double clicks, expiries."""
    fuzz_found_files()
    planned = soak.uploads(PHOTOS, seed=SEED, hostile_share=0.1, hostile_dir=FUZZ_FOUND)
    hostile = [u for u in planned if u.hostile]
    assert len(hostile) == 5 and len({u.hostile for u in hostile}) == 5
    plans = {u.plan for u in planned if not u.hostile}
    assert plans == {"approve", "reject", "race", "leave"}
    assert any(u.replay for u in planned) and any(u.double_click for u in planned)
    assert len({u.body for u in planned if not u.hostile}) == PHOTOS - len(hostile)  # no accidental duplicates


@pytest.mark.timeout(1200)
def test_fifty_uploads_with_faults_end_in_one_final_state_each_published_at_most_once(tmp_path):
    fuzz_found_files()
    faults = soak.Faults(seed=SEED, kill=0.08, flickr=0.2, ses=0.1)
    report = soak.run(PHOTOS, home=tmp_path / ".pressroom", seed=SEED, hostile_share=0.1, hostile_dir=FUZZ_FOUND,
                      timeout=900, faults=faults)
    assert report.problems() == []
    assert not report.lost and not report.unsettled and not report.published_twice and not report.notices_twice
    assert sum(report.states.values()) == PHOTOS
    assert {"PUBLISHED", "REJECTED", "EXPIRED", "QUARANTINED"} <= set(report.states)
    made = report.faults
    assert made["S3 event delivered twice"] >= 2 * PHOTOS  # each upload's, and each scrubbed copy's
    for kind in ("killed before", "killed after", "delivered late", "Flickr", "SES"):
        assert sum(n for what, n in made.items() if kind in what), f"no {kind} fault was made"
    seen = report.approvals
    assert seen["scanner GET 200"] >= PHOTOS // 2
    for kind in ("race POST 409", "replay POST 409"):
        assert seen[kind], f"no {kind}"
