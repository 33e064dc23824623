"""The pyasm module in a supported interpreter: the cases people ask about
(editing a live function, bogus bytecode refused), each function's
inputs, results and errors."""

import importlib.util
import json
import marshal
import pathlib
import sys
import threading
import time
import types

import pyasm
import pytest

import same

RUNNING = "%d.%d" % sys.version_info[:2]
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def pyc_of(source, filename="m.py"):
    """A timestamp .pyc of ``source``, as the importer writes one."""
    co = compile(source, filename, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(co)


def test_the_module_is_the_installed_wheel_not_the_source_tree():
    # (Path.is_relative_to is 3.9's.)
    prefix = pathlib.Path(sys.prefix).resolve()
    assert prefix in pathlib.Path(pyasm.__file__).resolve().parents


def test_editing_a_live_function():
    def greet(name):
        return "hello, " + name

    text = pyasm.disassemble(greet)
    assert "LOAD_CONST 'hello, '" in text
    greet.__code__ = pyasm.assemble(text.replace("'hello, '", "'goodbye, '"))
    assert greet("world") == "goodbye, world"


def test_a_method_is_its_function_s_code():
    class C:
        def m(self):
            return 41 + 1

    assert pyasm.disassemble(C().m) == pyasm.disassemble(C.m) == pyasm.disassemble(C.m.__code__)


def victim():
    x = 1
    return x


def lines_of(co):
    return pyasm.disassemble(co).splitlines()


def test_a_constant_index_past_the_table_is_refused():
    # Built with types.CodeType, LOAD_CONST 200 here reads past co_consts:
    # CPython 3.11-3.13 die of SIGSEGV running it.
    text = "\n".join(
        line.replace("LOAD_CONST 1", "LOAD_CONST #200") for line in lines_of(victim.__code__)
    )
    assert "LOAD_CONST #200" in text
    with pytest.raises(pyasm.AssemblyError) as e:
        pyasm.assemble(text)
    assert [d.code for d in e.value.diagnostics] == ["undefined-name"]
    assert "constant #200" in str(e.value)
    assert pyasm.check(text) == e.value.diagnostics


def test_a_stack_underflow_is_refused():
    # Without its LOAD_CONST, STORE_FAST pops below the bottom of the
    # stack: CPython 3.12 and 3.13 die of SIGSEGV running it.
    text = "\n".join(line for line in lines_of(victim.__code__) if "LOAD_CONST 1" not in line)
    with pytest.raises(pyasm.AssemblyError) as e:
        pyasm.assemble(text)
    codes = [d.code for d in e.value.diagnostics]
    assert "stack-underflow" in codes, codes


def test_a_diagnostic_has_its_place_and_notes():
    text = lines_of(victim.__code__)
    at = next(i for i, line in enumerate(text) if "LOAD_CONST" in line)
    text[at] = text[at].replace("LOAD_CONST", "LOAD_CONTS")
    diags = pyasm.check("\n".join(text))
    assert len(diags) == 1
    d = diags[0]
    assert (d.code, d.severity) == ("unknown-opcode", "error")
    column = text[at].index("LOAD_CONTS") + 1
    assert (d.line, d.column, d.end_line, d.end_column) == (at + 1, column, at + 1, column + 10)
    assert any("LOAD_CONST" in n.message for n in d.notes), d.notes
    assert isinstance(d, pyasm.Diagnostic) and isinstance(d.notes, tuple)


def test_the_error_s_text_is_the_report_pyasm_check_prints():
    with pytest.raises(pyasm.AssemblyError) as e:
        pyasm.assemble(".code m\n    NOT_AN_OP\n", filename="given.pyasm")
    report = str(e.value)
    assert report.startswith("error[unknown-opcode]: ")
    assert "given.pyasm:2:5" in report and "NOT_AN_OP" in report
    assert isinstance(e.value, Exception)


def test_a_text_for_another_version_points_to_assemble_pyc():
    other = next(v for v in pyasm.SUPPORTED_VERSIONS if v != RUNNING)
    text = (EXAMPLES / other / "hello.pyasm").read_text()
    with pytest.raises(pyasm.AssemblyError) as e:
        pyasm.assemble(text)
    assert other in str(e.value) and RUNNING in str(e.value)
    assert "assemble_pyc" in str(e.value) and e.value.diagnostics == []
    pyc = pyasm.assemble_pyc(text)
    assert pyasm.disassemble(pyc).startswith(".python " + other)


@pytest.mark.parametrize("version", pyasm.SUPPORTED_VERSIONS)
def test_assemble_pyc_builds_the_version_the_text_names(version):
    text = (EXAMPLES / version / "closure.pyasm").read_text()
    pyc = pyasm.assemble_pyc(text, filename="closure.pyasm")
    listing = pyasm.disassemble(pyc)
    assert listing.startswith(".python %s\n" % version)
    assert pyasm.assemble_pyc(listing) == pyc


def test_a_pyc_there_and_back():
    pyc = pyc_of("def f(x):\n    return [y ** 2 for y in x]\n", "sq.py")
    text = pyasm.disassemble(pyc)
    assert text == pyasm.disassemble(bytearray(pyc)) == pyasm.disassemble(memoryview(pyc))
    back = pyasm.assemble_pyc(text)
    assert back[:16] == pyc[:16]
    co = marshal.loads(pyc[16:])
    assert same.compare(co, marshal.loads(back[16:])) == (same.size(co), [])


def test_a_pyc_by_its_path(tmp_path):
    pyc = pyc_of("x = 1\n")
    path = tmp_path / "m.pyc"
    path.write_bytes(pyc)
    assert pyasm.disassemble(path) == pyasm.disassemble(str(path)) == pyasm.disassemble(pyc)
    with pytest.raises(FileNotFoundError):
        pyasm.disassemble(tmp_path / "missing.pyc")
    path.write_bytes(pyc[:20])
    with pytest.raises(ValueError) as e:
        pyasm.disassemble(path)
    assert str(path) in str(e.value) and "at byte 17" in str(e.value)


def test_bytes_that_are_not_a_pyc():
    for data in [b"", b"\x00" * 16, pyc_of("x = 1")[:-1], b"\xa7\r\r\n" + bytes(12) + b"N"]:
        with pytest.raises(ValueError):
            pyasm.disassemble(data)


def test_filename_is_the_module_s_co_filename_where_the_text_has_none():
    text = "\n".join(
        line for line in lines_of(compile("x = 1", "orig.py", "exec")) if ".filename" not in line
    )
    assert pyasm.assemble(text, filename="given.pyasm").co_filename == "given.pyasm"
    assert pyasm.assemble(text, filename=pathlib.Path("p.pyasm")).co_filename == "p.pyasm"
    assert pyasm.assemble(text).co_filename == ""


def test_a_text_without_a_python_line_is_for_the_running_version():
    text = "\n".join(
        line for line in lines_of(compile("x = 1", "", "exec")) if not line.startswith(".python")
    )
    assert pyasm.assemble(text).co_consts
    assert pyasm.disassemble(pyasm.assemble_pyc(text)).startswith(".python " + RUNNING)


def test_deep_constants():
    deep = ()
    for _ in range(1900):
        deep = (deep,)
    co = compile("x = 1", "", "exec")
    co = co.replace(co_consts=co.co_consts + (deep,))
    assert same.compare(pyasm.assemble(pyasm.disassemble(co)), co) == (1, [])


def test_check_never_raises_on_bad_text():
    for text in ["", "\x00", ".code", ".python 2.7\n", "\ud800", "x\udfff\n.code m\n", "'" * 1000]:
        diags = pyasm.check(text)
        assert all(isinstance(d, pyasm.Diagnostic) for d in diags)
    assert pyasm.check("") != []


def test_a_lone_surrogate_is_placed():
    diags = pyasm.check(".code m\n    LOAD_CONST '\ud800'\n")
    assert [(d.code, d.line, d.column) for d in diags] == [("syntax", 2, 17)]
    assert "\\ud800" in diags[0].message
    with pytest.raises(pyasm.AssemblyError):
        pyasm.assemble_pyc("\udc80")


def test_wrong_types_are_type_errors():
    for f, x in [(pyasm.disassemble, 42), (pyasm.disassemble, None), (pyasm.disassemble, len),
                 (pyasm.assemble, b".code m"), (pyasm.assemble_pyc, None), (pyasm.check, 1)]:
        with pytest.raises(TypeError):
            f(x)
    with pytest.raises(TypeError):
        pyasm.assemble("", filename=b"x")  # type: ignore[arg-type]


def test_the_supported_versions():
    assert RUNNING in pyasm.SUPPORTED_VERSIONS
    assert pyasm.SUPPORTED_VERSIONS[0] == "3.6"
    assert isinstance(pyasm.assemble(pyasm.disassemble(victim)), types.CodeType)


def counted_while(work):
    """How often another thread ran while ``work()`` ran in this one. With
    the switch interval at 1000 s the interpreter never takes the GIL from
    a thread: the other one runs only while this one lets go of it."""
    state = {"count": 0, "stop": False}
    started = threading.Event()

    def spin():
        started.set()
        while not state["stop"]:
            state["count"] += 1
            time.sleep(0)  # lets go of the GIL, for this thread to take it back

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    try:
        t = threading.Thread(target=spin)
        t.start()
        started.wait()
        before = state["count"]
        work()
        after = state["count"]
        state["stop"] = True
        t.join()
    finally:
        sys.setswitchinterval(old)
    return after - before


def test_the_work_lets_other_threads_run():
    import _pydecimal

    with open(_pydecimal.__file__) as f:
        co = compile(f.read(), "_pydecimal.py", "exec")
    text = pyasm.disassemble(co)
    # The control: work that keeps the GIL leaves the other thread still.
    assert counted_while(lambda: sum(range(3_000_000))) == 0
    assert counted_while(lambda: pyasm.check(text)) > 0
    assert counted_while(lambda: pyasm.disassemble(co)) > 0


def test_json_there_and_back():
    """to_json / from_json (the module as data): a function's code comes
    back equal in every field, with its typed constants; an error names its
    JSON pointer."""
    def f(x):
        return (x, -0.0, 10 ** 30 + 1, b"\x00\xff", "\udc80", frozenset({1, 2}))

    doc = pyasm.to_json(f)
    data = json.loads(doc)
    assert data["format"] == "pyasm-module" and data["python"] == RUNNING
    co = pyasm.from_json(doc)
    assert same.compare(f.__code__, co) == (1, [])
    assert pyasm.from_json(doc.encode()) is not None
    f.__code__ = co
    assert f(1)[1:3] == (-0.0, 10 ** 30 + 1)
    assert str(f(1)[1]) == "-0.0"
    # A .pyc's document, and a broken one.
    assert json.loads(pyasm.to_json(pyc_of("x = 1")))["header"]["flags"] == 0
    data["blocks"][0]["body"][1]["op"] = "LOAD_CONTS"
    text = json.dumps(data, indent=1)
    with pytest.raises(pyasm.AssemblyError) as e:
        pyasm.from_json(text)
    assert "/blocks/0/body/1/op" in str(e.value), str(e.value)
    # Each diagnostic names its pointer, and the line and column of that
    # member in the document.
    [d] = e.value.diagnostics
    assert (d.code, d.pointer) == ("unknown-opcode", "/blocks/0/body/1/op")
    assert text.splitlines()[d.line - 1][d.column - 1:].startswith('"op": "LOAD_CONTS"')
    # A document off the schema: the member at fault and what was expected.
    data["blocks"][0]["body"][1]["opp"] = 1
    with pytest.raises(pyasm.AssemblyError) as e:
        pyasm.from_json(json.dumps(data))
    [d] = e.value.diagnostics
    assert (d.code, d.pointer) == ("json", "/blocks/0/body/1/opp")
    assert "unknown field `opp`, expected one of" in d.message
    with pytest.raises(pyasm.AssemblyError) as e:
        pyasm.from_json("{}")
    assert e.value.diagnostics[0].message == "missing field `format`"
    with pytest.raises(TypeError):
        pyasm.to_json(3)
