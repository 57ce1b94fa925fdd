"""Debian's Chromium driven by Playwright, and the checks every page test shares."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from ..conftest import REPO

ARTIFACTS = REPO / "tests" / "artifacts"


def launch(playwright):
    from workbench.report.pdf import launch_chromium

    return launch_chromium(playwright)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def ink(png: bytes) -> tuple[float, int]:
    """(fraction of pixels that are not near-white, number of distinct colours) of a PNG."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    dark = (img.min(axis=2) < 235).mean()
    colours = len(np.unique(img.reshape(-1, 3)[::7], axis=0))
    return float(dark), colours


def assert_not_blank(png: bytes, what: str, *, min_ink: float = 0.01, min_colours: int = 3) -> None:
    dark, colours = ink(png)
    assert dark >= min_ink and colours >= min_colours, (
        f"{what} looks blank: {dark:.2%} of pixels drawn, {colours} colours")


def keep(path: Path, name: str) -> Path:
    """Copy a screenshot or file into tests/artifacts/ (gitignored) so a person can look at it."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    shutil.copyfile(path, target)
    return target


def save_png(png: bytes, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(png)
    keep(path, name)
    return path
