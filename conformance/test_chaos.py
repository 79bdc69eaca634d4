"""Chaos (kevy-only): clients vanish at random points while their
cross-shard work is in flight, others are killed with every CLIENT KILL
filter or timed out; afterwards every invariant holds, nothing is left in
flight, locked or queued, and RSS stayed bounded. See chaos.py.

Each run starts its own server with 2 and with 4 shards and an idle
`timeout` of 1 s. KEVY_CHAOS_SECONDS sets the length of each run (default
4; CI's sanitizer builds run it as part of the suite). Long local run:

    KEVY_CHAOS_SECONDS=600 make conformance PYTEST_ARGS="-k chaos"
"""

import os

import pytest

import chaos
from conftest import IMPL

SECONDS = float(os.environ.get("KEVY_CHAOS_SECONDS", "4"))
# Peak RSS growth allowed over the run. Clients write values up to 300 KB
# and stop reading; each may pin its input, its output up to the pause
# threshold and its in-flight window, and is then cut off.
RSS_GROWTH_KB = 768 * 1024

pytestmark = [pytest.mark.kevy_only, pytest.mark.slow, pytest.mark.restart]


@pytest.mark.skipif(IMPL != "kevy", reason="starts kevy with a shard count")
@pytest.mark.timeout(SECONDS * 4 + 120)
@pytest.mark.parametrize("shards", [2, 4])
def test_vanishing_clients_leave_nothing_behind(server_factory, shards):
    srv = server_factory("--shards", shards, "--timeout", 1)
    figures = chaos.run(srv.host, srv.port, SECONDS, pid=srv.pid)
    assert figures["connections"] > 0
    growth = figures["rss_peak_kb"] - figures["rss0_kb"]
    assert growth < RSS_GROWTH_KB, figures
