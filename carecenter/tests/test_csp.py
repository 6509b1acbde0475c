"""The Content-Security-Policy: scripts from this site only, never inline."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/elders/", "/api/docs/"])
def test_every_page_sends_a_policy_without_inline_script(client, cast, url):
    if url != "/accounts/login/":
        client.force_login(cast.manager_a)
    response = client.get(url)
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("default-src", [])


def test_only_the_api_docs_allow_inline_styles(client, cast):
    client.force_login(cast.staff_a)
    home = directives(client.get(reverse("home"))["Content-Security-Policy"])
    assert home["style-src"] == ["'self'"]
    docs = directives(client.get("/api/docs/")["Content-Security-Policy"])
    assert "'unsafe-inline'" in docs["style-src"]
    assert docs["script-src"] == ["'self'"]
    # The docs' own script is a separate file (no inline script on that page).
    body = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", body)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def templates():
    root = Path(settings.BASE_DIR)
    for folder in [root / "templates", *root.glob("*/templates")]:
        yield from folder.rglob("*.html")


@pytest.mark.parametrize("path", list(templates()), ids=lambda p: p.name)
def test_no_template_carries_inline_script_handlers_or_styles(path):
    text = path.read_text()
    for match in INLINE_SCRIPT.finditer(text):
        # json_script output is data, not code; nothing else may be inline.
        assert "application/json" in match.group(0), f"inline script in {path}"
    assert not EVENT_HANDLER.search(text), f"on*= handler in {path}"
    assert not STYLE_ATTRIBUTE.search(text), f"style attribute in {path}"
