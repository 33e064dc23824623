"""workspace/executeCommand: `pyasm.build` writes a .pyc that runs, and
refuses a file with errors; `pyasm.disassemble` turns a .pyc into text."""

from __future__ import annotations

import py_compile
import subprocess
import sys

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest

from lsputil import (
    EXAMPLES,
    PYASM,
    command,
    example,
    open_and_wait,
    pyasm_build,
    run_pyc,
    uri_of,
    until,
)


def expected_output(name: str) -> str:
    return (EXAMPLES / f"{name}.out").read_text()


async def test_commands_are_advertised(client):
    cmds = client.init_result.capabilities.execute_command_provider.commands
    assert set(cmds) == {"pyasm.build", "pyasm.disassemble"}


@pytest.mark.parametrize("name", ["hello", "closure", "loop"])
async def test_build_writes_a_pyc_that_runs(client, tmp_path, name):
    doc, diags = await open_and_wait(client, example("3.11", name), tmp_path / f"{name}.pyasm")
    assert diags == []
    res = await command(client, "pyasm.build", doc.uri)
    pyc = tmp_path / f"{name}.pyc"
    assert res == {"path": str(pyc)}
    assert pyc.exists()
    assert run_pyc(pyc) == expected_output(name)
    # And it is what `pyasm build` writes.
    pyasm_build(PYASM, tmp_path / f"{name}.pyasm", tmp_path / "cli.pyc")
    assert pyc.read_bytes() == (tmp_path / "cli.pyc").read_bytes()
    # Reported to the user.
    msg = await until(
        lambda: [m for m in client.messages if str(pyc) in m.message], "window/showMessage"
    )
    assert msg[0].type == types.MessageType.Info
    assert msg[0].message == f"pyasm: built {pyc}"


async def test_build_names_the_document_in_tracebacks(client, tmp_path):
    """A block written without positions is placed on the document's lines,
    and co_filename is the document's path."""
    text = (
        ".python 3.11\n.code module\n        RESUME 0\n"
        "        LOAD_NAME undefined_here\n        RETURN_VALUE\n"
    )
    path = tmp_path / "raises.pyasm"
    doc, _ = await open_and_wait(client, text, path)
    await command(client, "pyasm.build", doc.uri)
    r = subprocess.run(
        [sys.executable, str(tmp_path / "raises.pyc")], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1 and "NameError" in r.stderr, r.stderr
    assert f'File "{path}", line 4, in <module>' in r.stderr, r.stderr


async def test_build_uses_the_open_text_not_the_file(client, tmp_path):
    path = tmp_path / "hello.pyasm"
    doc, _ = await open_and_wait(client, example("3.11", "hello"), path)
    # The file on disk is now stale: the editor's buffer says something else.
    doc.replace("'Hello, world!'", "'Bonjour, monde !'")
    assert await doc.diagnostics() == []
    await command(client, "pyasm.build", {"uri": doc.uri})
    assert run_pyc(tmp_path / "hello.pyc") == "Bonjour, monde !\n"


async def test_build_of_a_file_that_is_not_open(client, tmp_path):
    path = tmp_path / "loop.pyasm"
    path.write_text(example("3.11", "loop"))
    res = await command(client, "pyasm.build", uri_of(path))
    assert res == {"path": str(tmp_path / "loop.pyc")}
    assert run_pyc(tmp_path / "loop.pyc") == expected_output("loop")


@pytest.mark.lsp(init_options={"outputDir": "build/out"})
async def test_build_into_the_configured_output_dir(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "hello.pyasm")
    (tmp_path / "build" / "out").mkdir(parents=True)
    res = await command(client, "pyasm.build", doc.uri)
    pyc = tmp_path / "build" / "out" / "hello.pyc"
    assert res == {"path": str(pyc)}
    assert not (tmp_path / "hello.pyc").exists()
    assert run_pyc(pyc) == expected_output("hello")
    await until(lambda: [m for m in client.messages if str(pyc) in m.message], "the message")


async def test_output_dir_from_a_configuration_change(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "hello.pyasm")
    (tmp_path / "out").mkdir()
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"outputDir": "out"}})
    )
    await until(lambda: client.inlay_hint_refreshes >= 1, "the settings to apply")
    res = await command(client, "pyasm.build", doc.uri)
    assert res == {"path": str(tmp_path / "out" / "hello.pyc")}
    assert run_pyc(tmp_path / "out" / "hello.pyc") == expected_output("hello")


async def test_build_with_errors_is_refused(client, tmp_path):
    text = example("3.11", "hello").replace("PRECALL 1", "PRECAL 1")
    doc, diags = await open_and_wait(client, text, tmp_path / "bad.pyasm")
    assert [d.code for d in diags] == ["unknown-opcode"]
    with pytest.raises(JsonRpcInvalidRequest) as e:
        await command(client, "pyasm.build", doc.uri)
    line = text[: text.index("PRECAL 1")].count("\n") + 1
    assert "1 error" in str(e.value)
    assert f"first at {line}:9" in str(e.value)
    assert "[unknown-opcode]" in str(e.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "bad.pyasm"]
    msg = await until(
        lambda: [m for m in client.messages if m.type == types.MessageType.Error],
        "the error message",
    )
    assert msg[0].message.startswith("pyasm: not built: ")


async def test_build_with_only_warnings_builds(client, tmp_path):
    text = example("3.11", "hello").replace("RETURN_VALUE", "RETURN_VALUE\n        NOP")
    doc, diags = await open_and_wait(client, text, tmp_path / "warn.pyasm")
    assert [d.severity for d in diags] == [types.DiagnosticSeverity.Warning]
    await command(client, "pyasm.build", doc.uri)
    assert run_pyc(tmp_path / "warn.pyc") == expected_output("hello")


async def test_build_bad_arguments(client, tmp_path):
    for bad in [[], [42], [{"path": 1}]]:
        with pytest.raises(JsonRpcInvalidParams):
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="pyasm.build", arguments=bad)
            )
    # A file that does not exist.
    with pytest.raises(JsonRpcInvalidRequest, match="cannot read|No such file"):
        await command(client, "pyasm.build", uri_of(tmp_path / "missing.pyasm"))
    assert list(tmp_path.iterdir()) == []


async def test_unknown_command(client):
    with pytest.raises(JsonRpcInvalidParams, match="unknown command `pyasm.nope`"):
        await command(client, "pyasm.nope")


def compiled(tmp_path, source: str):
    py = tmp_path / "m.py"
    py.write_text(source)
    pyc = tmp_path / "m.pyc"
    py_compile.compile(str(py), cfile=str(pyc), doraise=True)
    return pyc


@pytest.mark.parametrize("form", ["uri", "path", "object"])
async def test_disassemble(client, tmp_path, form):
    pyc = compiled(tmp_path, "def f(x):\n    return x + 1\nprint(f(41))\n")
    arg = {"uri": uri_of(pyc), "path": str(pyc), "object": {"path": str(pyc)}}[form]
    text = await command(client, "pyasm.disassemble", arg)
    assert isinstance(text, str)
    assert text.startswith(".python 3.11\n")
    assert "\n.code module\n" in text and "\n.code f\n" in text
    assert "BINARY_OP +" in text
    # It opens clean, and builds back to a .pyc that runs.
    doc, diags = await open_and_wait(client, text, tmp_path / "m.pyasm")
    assert diags == []
    await command(client, "pyasm.build", doc.uri)
    assert run_pyc(tmp_path / "m.pyc") == "42\n"


async def test_disassemble_errors(client, tmp_path):
    not_pyc = tmp_path / "x.pyasm"
    not_pyc.write_text(example("3.11", "hello"))
    with pytest.raises(JsonRpcInvalidParams, match="magic number"):
        await command(client, "pyasm.disassemble", str(not_pyc))
    with pytest.raises(JsonRpcInvalidParams, match="cannot read"):
        await command(client, "pyasm.disassemble", str(tmp_path / "none.pyc"))
    with pytest.raises(JsonRpcInvalidParams, match="expected a .pyc path or URI"):
        await command(client, "pyasm.disassemble", 7)
