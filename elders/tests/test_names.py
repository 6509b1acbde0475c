"""Chinese names sort in pinyin order, as people look them up, on the list and in
the pickers; the key is kept with the name on every write."""

import pytest
from django.urls import reverse

from elders.models import Elder
from elders.names import name_key
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db


def test_the_key_orders_names_by_pinyin_then_tone():
    names = ["张秀英", "王桂芳", "李德明", "阿明", "Anna", "马兰", "妈妈"]
    assert sorted(names, key=name_key) == [
        "阿明",
        "Anna",
        "李德明",
        "妈妈",  # mā before mǎ
        "马兰",
        "王桂芳",
        "张秀英",
    ]


def test_the_elder_list_orders_names_by_pinyin(client, cast):
    for name in ("张秀英", "王桂芳", "李德明"):  # code points: 张 < 李 < 王
        ElderFactory(station=cast.a, name=name)
    client.force_login(cast.staff_a)
    page = client.get(reverse("elders:list"))
    names = [elder.name for elder in page.context["page_obj"]]
    assert names == ["李德明", "王桂芳", "张秀英"]
    page = client.get(reverse("elders:list"), {"ordering": "-name"})
    assert [e.name for e in page.context["page_obj"]] == ["张秀英", "王桂芳", "李德明"]


def test_the_key_follows_a_renamed_elder(cast):
    elder = ElderFactory(station=cast.a, name="张秀英")
    elder.name = "阿秀英"
    elder.save(update_fields=["name"])
    assert Elder.objects.get().name_key.startswith("a1 xiu4 ying1")


def test_the_key_is_indexed_with_the_id():
    indexes = {index.name: index.fields for index in Elder._meta.indexes}
    assert indexes["elder_pinyin_order"] == ["name_key", "id"]
