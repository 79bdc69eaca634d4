"""The compatibility report generator (compat.py) counts what it should: a
deliberately failing test is charged to the command it is about, with its
assertion, and not to the setup commands it also sends; commands no test
sends are "not covered". Runs against any server (it only needs one to send
the deliberate test's command to)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import compat

HERE = os.path.dirname(os.path.abspath(__file__))


def test_build_charges_failures_to_the_tested_command():
    records = [
        {"test": "t.py::test_set_basic", "name": "test_set_basic", "outcome": "passed",
         "message": "", "sent": ["set"]},
        {"test": "t.py::test_get_missing", "name": "test_get_missing", "outcome": "failed",
         "message": "AssertionError: boom", "sent": ["get", "set"]},
        {"test": "t.py::test_misc", "name": "test_misc", "outcome": "passed",
         "message": "", "sent": ["client|list", "ping"]},
        {"test": "t.py::test_skipped_get", "name": "test_skipped_get", "outcome": "skipped",
         "message": "", "sent": []},
    ]
    report = compat.build(records, ["get", "set", "ping", "client|list", "lpush"])
    c = report["commands"]
    assert (c["get"]["tests"], c["get"]["passed"], c["get"]["failed"]) == (1, 0, 1)
    assert c["get"]["first_failure"] == {"test": "t.py::test_get_missing",
                                         "message": "AssertionError: boom"}
    assert (c["set"]["tests"], c["set"]["passed"], c["set"]["failed"]) == (1, 1, 0)
    # No command named in "test_misc": every command it sent is its subject.
    assert c["client|list"]["passed"] == 1 and c["ping"]["passed"] == 1
    assert c["lpush"]["tests"] == 0
    assert report["totals"] == {"commands": 5, "covered": 4, "passing": 3, "failing": 1,
                                "not_covered": 1, "tests": 3}
    md = compat.markdown(report)
    assert "| `GET` | 1 | 0 | 1 | `t.py::test_get_missing`: AssertionError: boom |" in md
    assert "| `LPUSH` | 0 | | | not covered |" in md
    assert "| `CLIENT LIST` | 1 | 1 | 0 |  |" in md


def test_a_deliberately_failing_run_is_reported(server):
    """The whole path: a real pytest run, the recorder in the clients, the
    report written at the end of the session."""
    work = tempfile.mkdtemp(prefix="compat-", dir=HERE)  # under conftest.py
    try:
        with open(os.path.join(work, "test_deliberate.py"), "w") as f:
            f.write(
                "def test_echo_deliberately_wrong(raw):\n"
                "    raw.call('SET', 'k', 'v')\n"
                "    assert raw.value('ECHO', 'hello') == b'goodbye', 'deliberate'\n"
                "\n"
                "def test_ping_fine(raw):\n"
                "    assert raw.value('PING') == 'PONG'\n")
        prefix = os.path.join(work, "report")
        env = dict(os.environ, KEVY_COMPAT_REPORT=prefix,
                   KEVY_TARGET="%s:%d" % (server.host, server.port))
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              os.path.join(work, "test_deliberate.py")],
                             cwd=HERE, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 1, run.stdout + run.stderr  # the deliberate failure
        with open(prefix + ".json") as f:
            report = json.load(f)
        echo = report["commands"]["echo"]
        assert (echo["tests"], echo["passed"], echo["failed"]) == (1, 0, 1)
        assert echo["first_failure"]["test"].endswith("test_echo_deliberately_wrong")
        assert "deliberate" in echo["first_failure"]["message"]
        assert report["commands"]["set"]["failed"] == 0  # setup, not the subject
        assert (report["commands"]["ping"]["passed"], report["commands"]["ping"]["failed"]) == (1, 0)
        assert report["totals"]["tests"] == 2
        with open(prefix + ".md") as f:
            assert "| `ECHO` | 1 | 0 | 1 |" in f.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)
