"""Laying out tables: what is shortened, what is dropped, and in which order."""

import re

from nr_experiment.table import ELLIPSIS, Column, Layout, Shorten, render, shorten

COLUMNS = (
    Column("NAME", shorten=Shorten.MIDDLE, min_width=8),
    Column("STATE"),
    Column("EXTRA", priority=1),
    Column("HANDLE", priority=2, shorten=Shorten.MIDDLE, min_width=12),
    Column("WHERE", wide_only=True),
    Column("NOTE", priority=3, shorten=Shorten.END, min_width=6),
)
ROWS = [
    ("a_long_job_name_for_a_sweep", "RUNNING", "x", "slurm://me@login/123456", "/d/a", "oh no"),
    ("b", "FAILED", None, "slurm://me@login/7", "", "disk full"),
]


def test_shorten_keeps_the_end_in_the_middle_mode() -> None:
    assert shorten("local://vm/nr.123456789.pair.alpha", 16, Shorten.MIDDLE) == "local:…air.alpha"
    assert shorten("a message that goes on", 10, Shorten.END) == "a message" + ELLIPSIS
    assert shorten("STATE", 2, Shorten.NEVER) == "STATE"
    assert shorten("short", 10, Shorten.MIDDLE) == "short"


def test_wide_and_plain_show_every_cell_whole_with_dashes_for_empty_ones() -> None:
    for layout in (Layout.WIDE, Layout.PLAIN):
        lines = render(COLUMNS, ROWS, layout=layout, width=20)
        assert ELLIPSIS not in "".join(lines)
        rows = [re.split(r"\s{2,}", line) for line in lines]
        assert rows[0] == ["NAME", "STATE", "EXTRA", "HANDLE", "WHERE", "NOTE"]
        assert rows[2] == ["b", "FAILED", "-", "slurm://me@login/7", "-", "disk full"]


def test_fit_shortens_then_drops_the_least_important_first() -> None:
    whole = render(COLUMNS, ROWS, layout=Layout.FIT, width=200)
    assert whole[0].split() == ["NAME", "STATE", "EXTRA", "HANDLE", "NOTE"]  # WHERE: wide only
    assert ELLIPSIS not in "".join(whole)
    for width in (70, 60, 50, 40, 30):
        lines = render(COLUMNS, ROWS, layout=Layout.FIT, width=width)
        assert max(len(line) for line in lines) <= width, (width, lines)
    narrow = render(COLUMNS, ROWS, layout=Layout.FIT, width=44)
    assert narrow[0].split() == ["NAME", "STATE", "HANDLE", "NOTE"]  # EXTRA went first
    assert narrow[1].split()[2].endswith("123456")  # the handle keeps its job id
    tiny = render(COLUMNS, ROWS, layout=Layout.FIT, width=20)
    assert tiny[0].split() == ["NAME", "STATE"]  # never-dropped columns stay


def test_cells_never_hold_newlines_or_runs_of_spaces() -> None:
    lines = render((Column("A"), Column("B")), [("x  y", "one\ntwo")], layout=Layout.PLAIN)
    assert lines == ["A    B", "x y  one two"]
