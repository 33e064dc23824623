"""Diagnostics: published on open and after each incremental change, for
the version the client sent, with related information and exact ranges,
and cleared when the error is fixed or the document closed."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types

from lsputil import (
    by_code,
    comparable,
    example,
    find,
    hover,
    open_and_wait,
    open_doc,
    publications,
    until,
)

VERSIONS = ["3.11", "3.13"]


def last_line_before(text: str, needle: str) -> int:
    """The offset of the start of the last line holding `needle`."""
    i = text.rindex(needle)
    return text.rindex("\n", 0, i) + 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_clean_example_has_no_diagnostics(client, tmp_path, version):
    doc, diags = await open_and_wait(client, example(version, "loop"), tmp_path / "loop.pyasm")
    assert diags == []
    (p,) = publications(client, doc.uri)
    assert p.version == 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_underflow_after_change_then_fixed(client, tmp_path, version):
    text = example(version, "hello")
    doc, diags = await open_and_wait(client, text, tmp_path / "hello.pyasm", version=7)
    assert diags == []
    assert publications(client, doc.uri)[-1].version == 7

    # One POP_TOP too many, before the return.
    ret = "RETURN_CONST None" if version == "3.13" else "LOAD_CONST None"
    at = last_line_before(doc.text, ret)
    doc.change(at, at, "        POP_TOP\n")
    assert doc.version == 8
    diags = await doc.diagnostics()
    (d,) = diags
    assert d.code == "stack-underflow"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "pyasm"
    line = doc.text.count("\n", 0, at)
    assert d.range.start.line == line == d.range.end.line
    assert doc.range_text(d.range) == "POP_TOP"
    assert "pops more than the stack holds" in d.message
    # The note: where the depth was last higher, the POP_TOP before it.
    (rel,) = d.related_information
    assert rel.location.uri == doc.uri
    assert rel.location.range.start.line == line - 1
    assert doc.range_text(rel.location.range) == "POP_TOP"
    assert "the stack held 1" in rel.message

    # Fixing it (deleting the line again) clears the diagnostics.
    doc.change(at, at + len("        POP_TOP\n"), "")
    assert await doc.diagnostics() == []
    assert [p.version for p in publications(client, doc.uri)] == [7, 8, 9]


@pytest.mark.parametrize("version", VERSIONS)
async def test_duplicate_label_points_at_the_first(client, tmp_path, version):
    doc, diags = await open_and_wait(client, example(version, "loop"), tmp_path / "loop.pyasm")
    assert diags == []
    at = find(doc.text, "done:")
    doc.change(at, at, "top:\n")
    (d,) = await doc.diagnostics()
    assert d.code == "duplicate-label"
    assert "`top`" in d.message
    assert d.range.start.line == doc.text.count("\n", 0, at)
    assert doc.range_text(d.range).startswith("top")
    (rel,) = d.related_information
    assert rel.message == "first defined here"
    first = doc.text.index("top:")
    assert rel.location.range.start == doc.pos("top:")
    assert doc.range_text(rel.location.range).startswith("top")
    assert first < at

    # Renaming the second label by typing one character at a time: the
    # first clears the error and is published; the second leaves the list
    # as it was, and only changed lists are published.
    doc.change(at + 3, at + 3, "2")
    doc.change(at + 4, at + 4, "x")
    assert await doc.diagnostics() == []
    assert publications(client, doc.uri)[-1].version == doc.version - 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_syntax_error_has_line_and_column(client, tmp_path, version):
    text = example(version, "loop").replace("BINARY_OP *", "BINARY_OP * )")
    doc, diags = await open_and_wait(client, text, tmp_path / "loop.pyasm")
    syntax = by_code(diags, "syntax")
    assert len(syntax) == 1, diags
    (d,) = syntax
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.range.start == doc.pos(")", after="BINARY_OP *")
    assert doc.range_text(d.range) == ")"
    assert "`)`" in d.message

    # Typing the fix: the parenthesis goes, and so does the error.
    doc.replace(" )", "", after="BINARY_OP *")
    assert await doc.diagnostics() == []


async def test_unknown_opcode_of_the_version(client, tmp_path):
    # PRECALL exists in 3.11 only: the same line is fine in a 3.11 file and an
    # error in a 3.13 one, with the versions that have it as a note.
    text = example("3.13", "hello").replace("CALL 1", "PRECALL 1\n        CALL 1")
    doc, diags = await open_and_wait(client, text, tmp_path / "hello.pyasm")
    (d,) = by_code(diags, "unknown-opcode")
    assert "`PRECALL` is not an instruction in Python 3.13" in d.message
    assert doc.range_text(d.range) == "PRECALL"
    assert any("3.11" in r.message for r in d.related_information)

    # Switched to 3.11, the file is analysed again: PRECALL is an instruction
    # now, RETURN_CONST (3.12-3.13) is not.
    doc.replace(".python 3.13", ".python 3.11")
    diags = await doc.diagnostics()
    (d,) = by_code(diags, "unknown-opcode")
    assert "`RETURN_CONST` is not an instruction in Python 3.11" in d.message
    # 3.13 pushes the NULL after the callable and 3.11 before it, so under
    # 3.11 this PRECALL finds a NULL where the callable belongs: the verifier
    # says so at that line (it would crash 3.11), and nothing else is said of
    # PRECALL.
    about_precall = [d for d in diags if doc.range_text(d.range) == "PRECALL" or "PRECALL" in d.message]
    assert [d.code for d in about_precall] == ["stack-null"], about_precall
    assert "PRECALL calls a NULL" in about_precall[0].message


async def test_close_clears_diagnostics(client, tmp_path):
    text = example("3.11", "hello").replace("PRECALL 1", "PRECAL 1")
    doc, diags = await open_and_wait(client, text, tmp_path / "hello.pyasm")
    assert [d.code for d in diags] == ["unknown-opcode"]
    doc.close()
    await until(lambda: publications(client, doc.uri)[-1].version is None, "the closing publication")
    assert list(publications(client, doc.uri)[-1].diagnostics) == []
    assert list(client.diagnostics[doc.uri]) == []


async def test_rapid_changes_publish_in_version_order(client, tmp_path):
    """Changes sent without waiting: every publication is for a version the
    client sent, in increasing order, and the last is the last version.
    (Each change adds an error, so that every version has a list of its
    own: an unchanged list is not published again.)"""
    doc, _ = await open_and_wait(client, example("3.11", "loop"), tmp_path / "loop.pyasm")
    at = last_line_before(doc.text, "LOAD_CONST None")
    for i in range(10):
        doc.change(at, at, f"        NO_SUCH_OP_{i}\n")
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["unknown-opcode"] * 10
    versions = [p.version for p in publications(client, doc.uri)]
    assert versions == sorted(set(versions)), versions
    assert set(versions) <= set(range(1, doc.version + 1))
    assert versions[-1] == doc.version == 11


EDITS = [
    ("delete a line", None),
    ("duplicate a line", None),
    ("insert POP_TOP", "        POP_TOP\n"),
    ("insert a label", "here:\n"),
    ("insert a jump", "        JUMP_FORWARD here\n"),
    ("break an opcode", None),
    ("insert text", "x"),
]


@pytest.mark.parametrize("name", ["closure", "try_except", "generator", "class"])
async def test_incremental_matches_fresh_open(client, tmp_path, name):
    """After each of a series of edits, the diagnostics of the edited
    document equal those of the same text opened fresh."""
    rng = random.Random(name)
    doc, _ = await open_and_wait(client, example("3.11", name), tmp_path / f"{name}.pyasm")
    for step in range(25):
        lines = doc.text.split("\n")
        k = rng.randrange(len(lines) - 1)
        start = sum(len(l) + 1 for l in lines[:k])
        what, new = rng.choice(EDITS)
        if what == "delete a line":
            doc.change(start, start + len(lines[k]) + 1, "")
        elif what == "duplicate a line":
            doc.change(start, start, lines[k] + "\n")
        elif what == "break an opcode":
            i = doc.text.find("_", start)
            if i < 0:
                continue
            doc.change(i, i + 1, "")
        elif what == "insert text":
            col = rng.randrange(len(lines[k]) + 1)
            doc.change(start + col, start + col, rng.choice(["x", " ", "#", "'", "(", "@", ":"]))
        else:
            doc.change(start, start, new)
        incremental = await doc.diagnostics()
        fresh_doc = open_doc(client, doc.text, uri=f"untitled:fresh-{name}-{step}")
        fresh = await fresh_doc.diagnostics()
        fresh_doc.close()
        assert comparable(incremental) == comparable(fresh), (step, what, doc.text)


async def test_paths_meeting_at_an_end_label(client, tmp_path):
    """Two paths that reach a label ending the code with different depths
    made the verifier index past the last instruction: the analysis
    panicked, the server dropped the document, and no diagnostics came for
    that version or any later one. Found by random edits."""
    text = example("3.11", "hello")
    doc, diags = await open_and_wait(client, text, tmp_path / "hello.pyasm")
    assert diags == []
    tail = "        LOAD_CONST None\n        RETURN_VALUE\n"
    i = doc.text.index(tail)
    doc.change(
        i,
        i + len(tail),
        "        LOAD_CONST True\n        POP_JUMP_FORWARD_IF_TRUE end\n        LOAD_CONST 1\nend:\n",
    )
    got = {d.code: d for d in await doc.diagnostics()}
    assert set(got) == {"stack-mismatch", "falls-off-end"}
    assert got["stack-mismatch"].message == (
        "paths meet at the end of the code with different stack depths: 0 and 1"
    )
    assert doc.range_text(got["stack-mismatch"].range) == "LOAD_CONST 1"
    # Put it back: the document is still served, and clean.
    doc.replace_all(text)
    assert await doc.diagnostics() == []
    assert "**RESUME**" in (await hover(doc, doc.pos("RESUME")))


def outside_block_lines(n: int) -> str:
    """`n` instructions before the first `.code`: one error each."""
    return "".join(f"NOP  # {i}\n" for i in range(n)) + ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n"


@pytest.mark.lsp(init_options={"maxDiagnostics": 5})
async def test_diagnostics_are_capped_with_a_note_of_how_many_more(client, tmp_path):
    doc, diags = await open_and_wait(client, outside_block_lines(8), tmp_path / "many.pyasm")
    # The first five in the text, then one that says how many are left out,
    # where the first of them is.
    assert [d.code for d in diags] == ["outside-block"] * 5 + ["too-many-diagnostics"]
    assert [d.range.start.line for d in diags] == [0, 1, 2, 3, 4, 5]
    note = diags[-1]
    assert note.severity == types.DiagnosticSeverity.Information
    assert "3 more" in note.message and "maxDiagnostics" in note.message
    # Fewer than the cap: no note.
    doc.change(0, len(doc.text), outside_block_lines(5))
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["outside-block"] * 5


async def test_diagnostics_are_capped_at_1000_by_default(client, tmp_path):
    doc, diags = await open_and_wait(client, outside_block_lines(1500), tmp_path / "many.pyasm")
    assert len(diags) == 1001
    assert [d.range.start.line for d in diags[:1000]] == list(range(1000))
    assert diags[-1].code == "too-many-diagnostics"
    assert "500 more" in diags[-1].message


async def test_an_unchanged_list_is_not_published_again(client, tmp_path):
    text = example("3.11", "hello")
    doc, diags = await open_and_wait(client, text, tmp_path / "hello.pyasm")
    assert diags == []
    # A comment at the end changes no diagnostic: nothing is published for
    # version 2. An error then is published, for version 3.
    doc.change(len(doc.text), len(doc.text), "# a comment\n")
    at = last_line_before(doc.text, "LOAD_CONST None")
    doc.change(at, at, "        NO_SUCH_OP\n")
    (d,) = await doc.diagnostics()
    assert d.code == "unknown-opcode"
    # Publications go out in the order of the changes: had version 2 been
    # published, it would have arrived before version 3.
    assert [p.version for p in publications(client, doc.uri)] == [1, 3]
    # Typing a comment line elsewhere moves the error: a new list.
    doc.change(0, 0, "# top\n")
    (d2,) = await doc.diagnostics()
    assert d2.range.start.line == d.range.start.line + 1
    assert [p.version for p in publications(client, doc.uri)] == [1, 3, 4]
    # Closing still clears them.
    doc.close()
    await until(lambda: publications(client, doc.uri)[-1].version is None, "the closing publication")
    assert list(publications(client, doc.uri)[-1].diagnostics) == []
