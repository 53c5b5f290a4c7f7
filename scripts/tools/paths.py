"""Where the askfind checkout of these scripts is: they run its code and write into its docs."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
