"""Fixtures of the volunteers tests: ``volunteer_a``'s record and pairings."""

from types import SimpleNamespace

import pytest

from elders.tests.factories import ElderFactory
from volunteers.tests.factories import PairingFactory, VolunteerFactory


@pytest.fixture
def crew(cast):
    """volunteer_a's record at A, paired (approved) with ``paired``; ``unpaired`` is
    another elder of A; ``elder_b`` and ``volunteer_b`` belong to station B."""
    me = VolunteerFactory(station=cast.a, name="郑晓燕", user=cast.volunteer_a)
    paired = ElderFactory(station=cast.a, name="王桂芳", address="幸福路 1 号")
    unpaired = ElderFactory(station=cast.a, name="李德明")
    pairing = PairingFactory(volunteer=me, elder=paired)
    volunteer_b = VolunteerFactory(station=cast.b, name="韩德福")
    elder_b = ElderFactory(station=cast.b, name="陈秀英")
    pairing_b = PairingFactory(volunteer=volunteer_b, elder=elder_b)
    return SimpleNamespace(
        me=me,
        paired=paired,
        unpaired=unpaired,
        pairing=pairing,
        volunteer_b=volunteer_b,
        elder_b=elder_b,
        pairing_b=pairing_b,
    )
