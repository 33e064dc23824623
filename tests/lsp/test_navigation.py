"""Hover, go to definition, references, prepare rename and rename."""

from __future__ import annotations

import re

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsputil import apply_edits, example, hover, open_and_wait, position, workspace_edits

CLOSURE = example("3.11", "closure")
MODULE = ".code module"

# Index forms and a loop, in 3.11.
INDEXED = """.python 3.11
.code module
1       RESUME 0
        LOAD_CONST 'x'
        LOAD_CONST #0
        BUILD_TUPLE 2
        STORE_NAME t
        LOAD_NAME #0
        POP_TOP
loop:
        NOP
        JUMP_BACKWARD loop
"""


@pytest.fixture
async def closure(client, tmp_path):
    doc, diags = await open_and_wait(client, CLOSURE, tmp_path / "closure.pyasm")
    assert diags == []
    return doc


# Hover -------------------------------------------------------------------------


async def test_hover_opcode_shows_effect_and_depths(closure):
    doc = closure
    # BUILD_TUPLE 1 in make_counter: one cell on the stack before, pops it,
    # pushes the tuple.
    p = doc.pos("BUILD_TUPLE 1")
    h = await hover(doc, p)
    assert h.startswith("**BUILD_TUPLE** — opcode 102 in Python 3.11")
    assert "stack effect: +0" in h
    assert "stack depth here: 1 before, 1 after" in h
    # The first `LOAD_NAME c` of the print line: NULL, print, NULL before.
    h = await hover(doc, doc.pos("LOAD_NAME c", after="LOAD_NAME print"))
    assert "**LOAD_NAME**" in h and "stack effect: +1" in h
    assert "stack depth here: 3 before, 4 after" in h
    # The hover's range is the opcode.
    r = await doc.client.text_document_hover_async(
        types.HoverParams(text_document=doc.ident, position=doc.pos("BUILD_TUPLE 1", delta=3))
    )
    assert doc.range_text(r.range) == "BUILD_TUPLE"


async def test_hover_jump_opcode_shows_both_effects(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "loop"), tmp_path / "loop.pyasm")
    h = await hover(doc, doc.pos("FOR_ITER done"))
    assert "stack effect: +1 (when it jumps: -1)" in h
    assert "stack depth here: 1 before, 2 after" in h


async def test_hover_symbolic_constant_shows_index(closure):
    doc = closure
    h = await hover(doc, doc.pos("LOAD_CONST 10", delta=11))
    assert h == "constant `10` (int) → `co_consts[1]`"
    h = await hover(doc, doc.pos("LOAD_CONST None", delta=12, after=MODULE))
    assert h == "constant `None` (NoneType) → `co_consts[2]`"


async def test_hover_index_form_shows_value_and_type(client, tmp_path):
    doc, diags = await open_and_wait(client, INDEXED, tmp_path / "indexed.pyasm")
    assert diags == []
    h = await hover(doc, doc.pos("#0"))
    assert h == "`co_consts[0]` = `'x'` (str)"
    # On the digit too.
    assert await hover(doc, doc.pos("#0", delta=1)) == h
    h = await hover(doc, doc.pos("#0", nth=1))
    assert h == "`co_names[0]` = `t`"


async def test_hover_name_shows_co_names_index(closure):
    doc = closure
    assert (
        await hover(doc, doc.pos("STORE_NAME make_counter", delta=12))
        == "name `make_counter` → `co_names[0]`"
    )
    assert await hover(doc, doc.pos("LOAD_NAME print", delta=11)) == "name `print` → `co_names[2]`"
    assert await hover(doc, doc.pos("STORE_NAME c", delta=11)) == "name `c` → `co_names[1]`"


async def test_hover_local(closure):
    doc = closure
    assert (
        await hover(doc, doc.pos("LOAD_FAST start", delta=11))
        == "local `start` → `co_localsplusnames[0]` (kind 0x20)"
    )
    assert (
        await hover(doc, doc.pos("STORE_FAST bump", delta=12))
        == "local `bump` → `co_localsplusnames[1]` (kind 0x20)"
    )
    # A cell, from its use and from its declaration.
    assert (
        await hover(doc, doc.pos("LOAD_CLOSURE count", delta=14))
        == "local `count` → `co_localsplusnames[2]` (kind 0x40)"
    )
    assert (
        await hover(doc, doc.pos(".var count cell", delta=6))
        == "local `count`: `co_localsplusnames[2]` (kind 0x40)"
    )
    # The free variable of the inner function.
    assert (
        await hover(doc, doc.pos("LOAD_DEREF count", delta=12))
        == "local `count` → `co_localsplusnames[0]` (kind 0x80)"
    )


async def test_hover_label(client, tmp_path):
    doc, _ = await open_and_wait(client, INDEXED, tmp_path / "indexed.pyasm")
    expected = "label `loop`, defined on line 10\n\nreferenced from line 12"
    assert await hover(doc, doc.pos("loop:")) == expected
    assert await hover(doc, doc.pos("JUMP_BACKWARD loop", delta=15)) == expected

    doc, _ = await open_and_wait(client, example("3.11", "loop"), tmp_path / "loop.pyasm")
    h = await hover(doc, doc.pos("done:"))
    line = doc.text[: doc.text.index("done:")].count("\n") + 1
    ref = doc.text[: doc.text.index("FOR_ITER done")].count("\n") + 1
    assert h == f"label `done`, defined on line {line}\n\nreferenced from line {ref}"


# 3.10: a SETUP_FINALLY's handler and an absolute jump are labels too.
BLOCKS_310 = """.python 3.10
.code module
        SETUP_FINALLY handler
        LOAD_NAME x
        POP_TOP
        POP_BLOCK
        JUMP_ABSOLUTE done
handler:
        POP_TOP
        POP_TOP
        POP_TOP
        POP_EXCEPT
done:
        LOAD_CONST None
        RETURN_VALUE
"""


async def test_hover_label_of_a_handler_and_an_absolute_jump(client, tmp_path):
    doc, diags = await open_and_wait(client, BLOCKS_310, tmp_path / "blocks.pyasm")
    assert [d for d in diags if d.severity == types.DiagnosticSeverity.Error] == []
    assert await hover(doc, doc.pos("SETUP_FINALLY handler", delta=15)) == (
        "label `handler`, defined on line 8\n\nreferenced from line 3"
    )
    assert await hover(doc, doc.pos("JUMP_ABSOLUTE done", delta=15)) == (
        "label `done`, defined on line 13\n\nreferenced from line 7"
    )


async def test_hover_block_reference(closure):
    doc = closure
    h = await hover(doc, doc.pos("@make_counter", delta=3))
    assert h.startswith("code block `make_counter`")
    assert "make_counter(start)" in h
    assert "flags: OPTIMIZED NEWLOCALS · Python 3.11" in h
    h = await hover(doc, doc.pos("@bump", delta=1))
    assert "bump()" in h
    assert "flags: OPTIMIZED NEWLOCALS NESTED · Python 3.11" in h
    # And on the `.code` line that defines it.
    assert await hover(doc, doc.pos(".code bump", delta=7)) == h


async def test_hover_nothing_on_a_comment(closure):
    doc = closure
    assert await hover(doc, doc.pos("# A closure", delta=4)) is None


# Definition and references -------------------------------------------------


async def definition(doc, p):
    r = await doc.client.text_document_definition_async(
        types.DefinitionParams(text_document=doc.ident, position=p)
    )
    if isinstance(r, list):
        (r,) = r
    return r


async def references(doc, p, include=True):
    r = await doc.client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc.ident,
            position=p,
            context=types.ReferenceContext(include_declaration=include),
        )
    )
    return None if r is None else sorted((l.range.start.line, l.range.start.character) for l in r)


async def test_definition_of_block_label_and_local(closure, client, tmp_path):
    doc = closure
    loc = await definition(doc, doc.pos("@make_counter", delta=5))
    assert loc.uri == doc.uri
    assert loc.range.start == doc.pos(".code make_counter", delta=6)
    assert doc.range_text(loc.range) == "make_counter"

    loc = await definition(doc, doc.pos("LOAD_FAST start", delta=12))
    assert loc.range.start == doc.pos("start", after=".var ")

    # A free variable, in its own block (not the cell of make_counter).
    loc = await definition(doc, doc.pos("STORE_DEREF count", after=".code bump", delta=13))
    assert loc.range.start == doc.pos("count free")

    ldoc, _ = await open_and_wait(client, example("3.11", "loop"), tmp_path / "loop.pyasm")
    loc = await definition(ldoc, ldoc.pos("JUMP_BACKWARD top", delta=15))
    assert loc.range.start == ldoc.pos("top:")
    assert ldoc.range_text(loc.range) == "top"


async def test_no_definition_of_an_opcode(closure):
    assert await definition(closure, closure.pos("RESUME")) is None


async def test_references(closure):
    doc = closure
    # `count` in make_counter: its .var, MAKE_CELL, STORE_DEREF, LOAD_CLOSURE;
    # not the free variable of bump.
    refs = await references(doc, doc.pos("MAKE_CELL count", delta=10))
    expected = [
        (p.line, p.character)
        for p in (position(doc.text, m.start()) for m in re.finditer(r"\bcount\b", doc.text))
        if p.line > doc.pos(".code make_counter").line
    ]
    assert len(expected) == 4
    assert refs == expected
    # Without the declaration.
    refs2 = await references(doc, doc.pos("MAKE_CELL count", delta=10), include=False)
    assert len(refs2) == 3
    assert doc.pos("count cell").line not in [l for l, _ in refs2]

    # A block: its `.code` line and the constant that loads it.
    refs = await references(doc, doc.pos(".code bump", delta=7))
    assert refs == sorted(
        [
            (doc.pos(".code bump").line, 6),
            (doc.pos("@bump").line, doc.pos("@bump").character),
        ]
    )


# Rename --------------------------------------------------------------------


async def prepare(doc, p):
    return await doc.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc.ident, position=p)
    )


async def rename(doc, p, new):
    edit = await doc.client.text_document_rename_async(
        types.RenameParams(text_document=doc.ident, position=p, new_name=new)
    )
    return apply_edits(doc.text, workspace_edits(edit, doc.uri), doc.encoding)


async def test_prepare_rename(closure):
    doc = closure
    r = await prepare(doc, doc.pos("@make_counter", delta=2))
    # The name without its `@`.
    assert doc.range_text(r) == "make_counter"
    r = await prepare(doc, doc.pos("LOAD_FAST bump", delta=11))
    assert doc.range_text(r) == "bump"
    # Opcodes, names (co_names) and comments cannot be renamed.
    assert await prepare(doc, doc.pos("RESUME")) is None
    assert await prepare(doc, doc.pos("MAKE_FUNCTION", delta=4)) is None
    assert await prepare(doc, doc.pos("LOAD_NAME print", delta=11)) is None
    assert await prepare(doc, doc.pos("# A closure", delta=3)) is None


async def test_rename_refuses_a_name_and_a_bad_identifier(closure):
    doc = closure
    with pytest.raises(JsonRpcInvalidParams, match="only labels, code blocks and locals"):
        await rename(doc, doc.pos("LOAD_NAME print", delta=11), "echo")
    with pytest.raises(JsonRpcInvalidParams, match="not an identifier"):
        await rename(doc, doc.pos("LOAD_FAST start", delta=11), "9lives")
    with pytest.raises(JsonRpcInvalidParams, match="already defined"):
        await rename(doc, doc.pos("LOAD_FAST start", delta=11), "bump")


async def test_rename_local(closure, client, tmp_path):
    doc = closure
    new = await rename(doc, doc.pos("LOAD_FAST start", delta=11), "initial")
    assert new == CLOSURE.replace(".var start", ".var initial").replace(
        "LOAD_FAST start", "LOAD_FAST initial"
    )
    # Only make_counter's `count` (the cell), not bump's free variable.
    new = await rename(doc, doc.pos("STORE_DEREF count", after=".code make_counter", delta=13), "n")
    mc = new.index(".code make_counter")
    assert new[:mc] == CLOSURE[:mc]
    assert new[mc:] == re.sub(r"\bcount\b", "n", CLOSURE[mc:])
    # The result is a clean file.
    d2, diags = await open_and_wait(client, new, tmp_path / "renamed.pyasm")
    assert diags == []


async def test_rename_block(closure, client, tmp_path):
    doc = closure
    new = await rename(doc, doc.pos("@bump", delta=2), "inner")
    assert new == CLOSURE.replace(".code bump", ".code inner").replace("@bump", "@inner")
    d2, diags = await open_and_wait(client, new, tmp_path / "renamed.pyasm")
    assert diags == []


async def test_rename_label(client, tmp_path):
    text = example("3.11", "loop")
    doc, _ = await open_and_wait(client, text, tmp_path / "loop.pyasm")
    new = await rename(doc, doc.pos("done:", delta=2), "exhausted")
    assert new == text.replace("done", "exhausted")
    new = await rename(doc, doc.pos("JUMP_BACKWARD top", delta=16), "again")
    assert new == text.replace("top", "again")
