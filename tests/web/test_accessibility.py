"""WCAG 2.2 AA checks that need no browser: colour contrast of the badges and grey text, `scope`
on table headers, the favicon. tests/web/test_browser.py runs axe-core on every page."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from analytics import charts
from tests.web.conftest import client_for

CSS = Path(settings.BASE_DIR) / "static" / "edupulse" / "app.css"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The student page is another piece of work's; its headers are checked by axe in the browser.
NOT_HERE = {TEMPLATES / "students" / "profile.html"}
WHITE, DARK = "#ffffff", "#1a1a1a"


def luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def css_variable(name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{3,6}})", CSS.read_text()).group(1)


def test_contrast_is_computed_as_wcag_says():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#d9534f", WHITE) == pytest.approx(3.96, abs=0.01)  # the old High badge


@pytest.mark.parametrize(
    ("category", "text"),
    [("critical", WHITE), ("high", WHITE), ("medium", DARK), ("low", WHITE)],
)
def test_each_risk_badge_meets_4_5_to_1(category, text):
    background = css_variable(category)
    assert background.lower() == charts.CATEGORY_COLOURS[category]
    assert contrast(background, text) >= 4.5, (category, contrast(background, text))


def test_the_medium_badge_has_dark_text():
    assert re.search(r"\.medium \{[^}]*color: #1a1a1a", CSS.read_text())


def test_grey_text_and_no_data_yet_meet_4_5_to_1():
    assert contrast(css_variable("muted"), WHITE) >= 4.5
    assert contrast(css_variable("muted"), "#f4f6f8") >= 4.5  # the page's background
    no_data = re.search(r"svg\.chart \.muted \{ fill: (#[0-9a-fA-F]+)", CSS.read_text()).group(1)
    assert contrast(no_data, WHITE) >= 4.5


def test_low_is_a_neutral_grey_and_high_a_red():
    def rgb(c):
        return [int(c[i : i + 2], 16) for i in (1, 3, 5)]

    r, g, b = rgb(charts.CATEGORY_COLOURS["low"])
    assert max(r, g, b) - min(r, g, b) < 30  # no hue: not green
    r, g, b = rgb(charts.CATEGORY_COLOURS["high"])
    assert r > 2 * g and r > 2 * b


def test_every_table_header_has_a_scope():
    missing = []
    for template in TEMPLATES.rglob("*.html"):
        if template in NOT_HERE:
            continue
        for header in re.findall(r"<th(?=[\s>])[^>]*>", template.read_text()):
            if "scope=" not in header:
                missing.append(f"{template.relative_to(TEMPLATES)}: {header}")
    assert missing == []


@pytest.mark.django_db
def test_the_favicon_exists_and_is_linked(client, district, counselor):
    assert (Path(settings.BASE_DIR) / "static" / "edupulse" / "favicon.svg").stat().st_size > 0
    html = client_for(client, counselor).get(reverse("dashboard")).content.decode()
    assert re.search(r'<link rel="icon" href="/static/edupulse/favicon[^"]*\.svg"', html)


@pytest.mark.django_db
def test_the_admin_links_the_favicon_too(client, data_entry_user):
    html = client_for(client, data_entry_user).get(reverse("admin:index")).content.decode()
    assert re.search(r'<link rel="icon" href="/static/edupulse/favicon[^"]*\.svg"', html)
