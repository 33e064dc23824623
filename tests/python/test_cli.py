"""The command line the wheel installs: the ``pyasm`` script in the venv's
bin folder and ``python -m pyasm``, both running the CLI in-process."""

import json
import pathlib
import subprocess
import sys

import pyasm

RUNNING = "%d.%d" % sys.version_info[:2]
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SCRIPT = pathlib.Path(sys.executable).parent / "pyasm"


def run(*args, stdin=None):
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, input=stdin, timeout=120
    )


def test_the_script_builds_an_example_that_runs(tmp_path):
    out = tmp_path / "closure.pyc"
    r = run(SCRIPT, "build", EXAMPLES / RUNNING / "closure.pyasm", "-o", out)
    assert r.returncode == 0, r.stderr
    ran = run(sys.executable, out)
    assert ran.stdout == (EXAMPLES / "closure.out").read_text(), ran.stderr


def test_python_m_pyasm_disassembles_as_the_module_does(tmp_path):
    out = tmp_path / "hello.pyc"
    assert run(SCRIPT, "build", EXAMPLES / RUNNING / "hello.pyasm", "-o", out).returncode == 0
    r = run(sys.executable, "-m", "pyasm", "dis", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout == pyasm.disassemble(out)


def test_exit_statuses(tmp_path):
    bad = tmp_path / "bad.pyasm"
    bad.write_text(".code m\n    NOT_AN_OP\n")
    r = run(SCRIPT, "check", bad)
    assert r.returncode == 1
    assert "error[unknown-opcode]" in r.stdout and "1 error" in r.stderr
    r = run(SCRIPT, "check", bad, "--format", "json")
    assert json.loads(r.stdout.splitlines()[0])["code"] == "unknown-opcode"
    assert run(SCRIPT, "check", tmp_path / "missing.pyasm").returncode == 2
    assert run(SCRIPT, "dis", tmp_path / "missing.pyc").returncode == 1
    r = run(sys.executable, "-m", "pyasm", "no-such-command")
    assert r.returncode == 2 and "no-such-command" in r.stderr
    r = run(SCRIPT, "--version")
    assert (r.returncode, r.stdout.split()[0]) == (0, "pyasm")


def frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def test_the_language_server_answers_and_exits():
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": None, "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    r = subprocess.run([str(SCRIPT), "lsp"], input=b"".join(map(frame, messages)),
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert b'"id":1' in r.stdout and b'"capabilities"' in r.stdout
    assert b'"id":2' in r.stdout
