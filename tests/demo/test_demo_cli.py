"""`vitd-bot demo` refuses a port it cannot use, in one line."""

import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # starts processes: python3 dev.py test -m "not slow" skips it


def test_a_port_in_use_gets_a_one_line_answer(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "demo", "--port", str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_out_of_range_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--port", "70000"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2 and "--port" in result.stderr
