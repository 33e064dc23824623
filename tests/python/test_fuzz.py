"""The module fuzzed through Python (fuzz_child.py) in a child process,
which a crash of the interpreter would end by a signal."""

import os
import pathlib
import subprocess
import sys


def test_no_input_crashes_the_interpreter(capsys):
    child = pathlib.Path(__file__).with_name("fuzz_child.py")
    r = subprocess.run([sys.executable, str(child)], capture_output=True, text=True,
                       timeout=1200, env=dict(os.environ, PYTHONFAULTHANDLER="1"))
    with capsys.disabled():
        print("\n" + r.stdout, end="")
    assert r.returncode == 0, "exit status %d\n%s" % (r.returncode, r.stderr[-5000:])
    assert r.stdout.count("no crash") == 6
