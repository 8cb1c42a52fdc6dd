import pytest

from tests.states import PATHS, complaint_in


@pytest.mark.django_db
@pytest.mark.parametrize("state", sorted(PATHS))
def test_every_state_is_reachable_through_services(state, consumer, platform, mediator, staff):
    complaint = complaint_in(state, consumer=consumer, platform_code=platform.code)
    assert complaint.status == state
    assert complaint.events.first().name == "filed"
    assert complaint.events.count() == len(PATHS[state]) + 1
