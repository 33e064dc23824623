"""Formatting: the canonical layout, and a formatted file builds to the same
.pyc as the original."""

from __future__ import annotations

import re
import subprocess

import pytest
from lsprotocol import types

from lsputil import PYASM, apply_edits, example, open_and_wait, pyasm_build

OPTIONS = types.FormattingOptions(tab_size=4, insert_spaces=True)


async def format_doc(doc):
    edits = await doc.client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=doc.ident, options=OPTIONS)
    )
    if edits is None:
        return None
    return apply_edits(doc.text, edits, doc.encoding)


def mess_up(text: str) -> str:
    """The same program, laid out badly: indentation shuffled, operands
    spaced out, trailing blanks, blank lines doubled."""
    out = []
    for i, line in enumerate(text.split("\n")):
        s = line.strip()
        if not s:
            out.append("   \n")
            continue
        indent = " " * (i * 3 % 7) + ("\t" if i % 5 == 0 else "")
        s = re.sub(r" +", "   ", s) if not s.startswith("#") and "'" not in s else s
        out.append(indent + s + " " * (i % 3))
    return "\n".join(out)


def canonical(text: str) -> None:
    """What every line of the canonical layout looks like."""
    for line in text.split("\n"):
        assert line == line.rstrip(), f"trailing blanks: {line!r}"
        if line.lstrip().startswith("#"):
            # Comment lines keep their indentation.
            continue
        assert "\t" not in line
        if line.lstrip().startswith((".python", ".pyc", ".code")):
            assert not line.startswith(" "), line
        elif line.lstrip().startswith("."):
            assert line.startswith("    .") and not line.startswith("     "), line
        elif re.match(r"^\s*[A-Za-z_]\w*:$", line):
            assert not line.startswith(" "), line
        elif line and not line.lstrip().startswith("#"):
            # An instruction: the opcode in column 12, after the position.
            assert re.match(r"^(\S+ +| {12})[A-Z]", line), line
            assert line[12] != " " or len(line.split(None, 1)[0]) >= 12, line


@pytest.mark.parametrize(
    "version,name",
    [("3.11", "closure"), ("3.11", "try_except"), ("3.13", "class"), ("3.12", "generator")],
)
async def test_messy_file_formats_to_canonical_and_builds_the_same(
    client, tmp_path, version, name
):
    original = example(version, name)
    messy = mess_up(original)
    assert messy != original
    doc, diags = await open_and_wait(client, messy, tmp_path / "messy.pyasm")
    assert diags == []

    formatted = await format_doc(doc)
    assert formatted is not None and formatted != messy
    canonical(formatted)
    # Same lines, modulo layout: every token is kept, in order.
    assert formatted.split() == [t for t in messy.split()]

    # Formatting is idempotent: the formatted text needs no edits.
    doc.replace_all(formatted)
    assert await doc.diagnostics() == []
    assert await format_doc(doc) is None

    # And it builds to the same .pyc, byte for byte, as the original.
    (tmp_path / "original.pyasm").write_text(original)
    (tmp_path / "formatted.pyasm").write_text(formatted)
    pyasm_build(PYASM, tmp_path / "original.pyasm", tmp_path / "original.pyc")
    pyasm_build(PYASM, tmp_path / "formatted.pyasm", tmp_path / "formatted.pyc")
    assert (tmp_path / "original.pyc").read_bytes() == (tmp_path / "formatted.pyc").read_bytes()


async def test_exact_canonical_layout(client, tmp_path):
    messy = (
        "   .python 3.11\n"
        ".code module\n"
        ".filename 'm.py'   \n"
        "  1 RESUME     0\n"
        "\t\tLOAD_CONST    (1, 2)   # a tuple   \n"
        "      POP_TOP\n"
        "   end:\n"
        "12:4-17      LOAD_CONST None\n"
        "RETURN_VALUE\n"
        "\n\n\n"
        "     .code f\n"
        "  .var x    cell\n"
        " LOAD_CONST None\n"
        " RETURN_VALUE\n"
    )
    doc, _ = await open_and_wait(client, messy, tmp_path / "m.pyasm")
    assert await format_doc(doc) == (
        ".python 3.11\n"
        "\n"
        ".code module\n"
        "    .filename 'm.py'\n"
        "1           RESUME 0\n"
        "            LOAD_CONST (1, 2)  # a tuple\n"
        "            POP_TOP\n"
        "end:\n"
        "12:4-17     LOAD_CONST None\n"
        "            RETURN_VALUE\n"
        "\n"
        ".code f\n"
        "    .var x cell\n"
        "            LOAD_CONST None\n"
        "            RETURN_VALUE\n"
    )


async def test_lines_with_syntax_errors_are_left_alone(client, tmp_path):
    text = example("3.11", "hello").replace("POP_TOP", "  POP_TOP )(  ")
    doc, diags = await open_and_wait(client, text, tmp_path / "h.pyasm")
    assert any(d.code == "syntax" for d in diags)
    formatted = await format_doc(doc)
    # The broken line keeps all its text (trailing blanks aside), though
    # its first part parses; the others are formatted.
    assert "\n          POP_TOP )(\n" in formatted
    assert "\n1           RESUME 0\n" in formatted
    assert "\n            LOAD_CONST None\n" in formatted


async def test_method_load_keeps_null_or_self_together(client, tmp_path):
    text = example("3.13", "class").replace("NULL|self + greet", "NULL | self   +  greet")
    doc, diags = await open_and_wait(client, text, tmp_path / "c.pyasm")
    assert diags == []
    formatted = await format_doc(doc)
    assert "            LOAD_ATTR NULL|self + greet  # pushes" in formatted
    # `|` alone, as an operator, keeps its space.
    text = example("3.11", "loop").replace("BINARY_OP *", "BINARY_OP   |")
    doc, _ = await open_and_wait(client, text, tmp_path / "l.pyasm")
    assert "            BINARY_OP |\n" in await format_doc(doc)


@pytest.mark.parametrize(
    "version,name",
    [("3.11", "closure"), ("3.11", "try_except"), ("3.12", "class"), ("3.13", "class"), ("3.14", "generator")],
)
async def test_disassembly_is_already_canonical(client, tmp_path, version, name):
    """What `pyasm dis` prints is the canonical layout: no edits
    (`NULL|self + greet` included)."""
    src = tmp_path / f"{name}.pyasm"
    src.write_text(example(version, name))
    pyc = tmp_path / f"{name}.pyc"
    pyasm_build(PYASM, src, pyc)
    text = subprocess.run(
        [PYASM, "dis", str(pyc)], capture_output=True, text=True, check=True
    ).stdout
    doc, diags = await open_and_wait(client, text, tmp_path / "dis.pyasm")
    assert diags == []
    assert await format_doc(doc) is None


async def test_crlf_document_keeps_its_line_ends(client, tmp_path):
    src = tmp_path / "closure.pyasm"
    src.write_text(example("3.11", "closure"))
    pyc = tmp_path / "closure.pyc"
    pyasm_build(PYASM, src, pyc)
    canonical_lf = subprocess.run(
        [PYASM, "dis", str(pyc)], capture_output=True, text=True, check=True
    ).stdout
    crlf = canonical_lf.replace("\n", "\r\n")
    doc, diags = await open_and_wait(client, crlf, tmp_path / "crlf.pyasm")
    assert diags == []
    # Canonical as it is: no edit that would only turn CRLF into LF.
    assert await format_doc(doc) is None
    # A messy CRLF file comes back canonical, still CRLF.
    doc2, _ = await open_and_wait(client, mess_up(canonical_lf).replace("\n", "\r\n"), tmp_path / "m.pyasm")
    formatted = await format_doc(doc2)
    assert "\n" not in formatted.replace("\r\n", "")
    # (The messy copy ends with a blank line, which is kept.)
    assert formatted.rstrip("\r\n") == crlf.rstrip("\r\n")
