"""LOLWUT as Redis 7.0 answers it. The drawings of versions 5 and 6 are
random on Redis too, so their tests check what is fixed: the reply type,
the canvas sizes and clamps (lines and characters per line), the alphabet
of each drawing and the credits; the plain version line is exact."""

import re

import pytest

from helpers import err

VERSION = b"Redis ver. 7.0.15\n"
SCHOTTER = b"\nGeorg Nees - schotter, plotter on paper, 1968. " + VERSION
SKYLINE = (b"Dedicated to the 8 bit game developers of past and present.\n"
           b"Original 8 bit image from Plaguemon by hikikomori. " + VERSION)
CELL = re.compile(rb"\x1b\[0;(97;107|37;47|90;100|30;40)m \x1b\[0m")
NOT_INT = err("ERR value is not an integer or out of range")


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


@pytest.mark.parametrize("args", [(), ("VERSION",), ("VERSION", "1"), ("VERSION", "7"),
                                  ("VERSION", "-1"), ("x", "5", "x"), ("10",)])
def test_plain_version_line(raw, args):
    assert raw.raw("LOLWUT", *args) == bulk(VERSION)


def test_resp3_is_verbatim_text(raw3):
    assert raw3.raw("LOLWUT") == b"=%d\r\ntxt:%s\r\n" % (len(VERSION) + 4, VERSION)


@pytest.mark.parametrize("args", [("VERSION", "x"), ("VERSION", "5", "x"),
                                  ("VERSION", "5", "10", "2", "1.5"), ("VERSION", "6", "10", "y")])
def test_non_integer_arguments(raw, args):
    assert raw.raw("LOLWUT", *args) == NOT_INT


def schotter_rows(r, *args):
    out = r.execute_command("LOLWUT", "VERSION", "5", *args)
    assert out.endswith(SCHOTTER)
    art = out[:-len(SCHOTTER)]
    rows = art.decode("utf-8").split("\n") if art else []
    if rows and rows[-1] == "":  # the last dot row was not the canvas's last
        rows.pop()
    for row in rows:
        assert all(0x2800 <= ord(ch) <= 0x28FF for ch in row), row
    return rows


# (arguments, rows, characters per row): Redis's canvas is cols*2 dots wide,
# 2-dot margins when wider than 4, square side (width - margins) / per-row as
# a float, height side * per-column + margins, 4 dots per character row.
@pytest.mark.parametrize("args,rows,cols", [
    ((), 49, 66), (("10", "2", "2"), 5, 10), (("66", "8", "50"), 201, 66),
    (("0", "0", "0"), 1, 1), (("-5", "3", "1"), 0, 0), (("1000", "300", "100"), 251, 1000),
    (("100", "10", "400"), 981, 100)])
def test_schotter_canvas(r, args, rows, cols):
    got = schotter_rows(r, *args)
    assert len(got) == rows
    assert {len(row) for row in got} <= {cols}


def test_schotter_draws_squares(r):
    rows = schotter_rows(r)
    dots = sum(bin(ord(ch) - 0x2800).count("1") for row in rows for ch in row)
    # 96 squares of side 16 dots: thousands of dots, far from a full canvas.
    assert 3000 < dots < 49 * 66 * 8 // 2


@pytest.mark.parametrize("args,rows,cols", [
    ((), 20, 80), (("10", "5"), 5, 10), (("0", "0"), 1, 1), (("-5", "3"), 3, 1),
    (("2000", "2"), 2, 1000)])
def test_skyline_canvas(r, args, rows, cols):
    out = r.execute_command("LOLWUT", "VERSION", "6", *args)
    assert out.endswith(SKYLINE)
    lines = out[:-len(SKYLINE)].split(b"\n")
    assert lines.pop() == b""
    assert len(lines) == rows
    for line in lines:
        assert CELL.sub(b"", line) == b""
        assert len(CELL.findall(line)) == cols


def test_skyline_uses_the_greys(r):
    out = r.execute_command("LOLWUT", "VERSION", "6")
    assert len(set(CELL.findall(out))) >= 3
