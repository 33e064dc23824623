"""Quick fixes: each is offered for its diagnostic, and applying its edit
makes the diagnostic go away."""

from __future__ import annotations

from lsprotocol import types

from lsputil import apply_edits, by_code, example, open_and_wait, workspace_edits


async def actions_for(doc, d):
    r = await doc.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc.ident,
            range=d.range,
            context=types.CodeActionContext(
                diagnostics=[d], only=[types.CodeActionKind.QuickFix]
            ),
        )
    )
    return list(r or [])


async def apply(doc, action):
    """Applies a code action's edit as an editor would: one incremental
    change per text edit, last first."""
    assert action.kind == types.CodeActionKind.QuickFix
    edits = workspace_edits(action.edit, doc.uri)
    expected = apply_edits(doc.text, edits, doc.encoding)
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        doc.send([types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)])
        doc.text = apply_edits(doc.text, [e], doc.encoding)
    assert doc.text == expected
    return await doc.diagnostics()


async def test_unknown_opcode_offers_the_nearest(client, tmp_path):
    text = example("3.11", "hello").replace("LOAD_CONST 'Hello", "LOAD_CONTS 'Hello")
    doc, diags = await open_and_wait(client, text, tmp_path / "h.pyasm")
    (d,) = by_code(diags, "unknown-opcode")
    assert "did you mean `LOAD_CONST`?" in d.message
    (a,) = await actions_for(doc, d)
    assert a.title == "Replace with `LOAD_CONST`"
    assert a.is_preferred
    assert [x.code for x in a.diagnostics] == ["unknown-opcode"]
    (e,) = workspace_edits(a.edit, doc.uri)
    assert doc.range_text(e.range) == "LOAD_CONTS" and e.new_text == "LOAD_CONST"
    assert await apply(doc, a) == []
    assert doc.text == example("3.11", "hello")


UNBOUND_312 = """.python 3.12
.code module
1       RESUME 0
        LOAD_CONST @f
        MAKE_FUNCTION 0
        STORE_NAME f
        RETURN_CONST None

.code f
    .argcount 1
    .var flag
1       RESUME 0
        LOAD_FAST flag
        POP_JUMP_IF_FALSE skip
        LOAD_CONST 1
        STORE_FAST x
skip:
        LOAD_FAST x
        RETURN_VALUE
"""


async def test_unbound_local_in_312_offers_load_fast_check(client, tmp_path):
    doc, diags = await open_and_wait(client, UNBOUND_312, tmp_path / "u.pyasm")
    (d,) = diags
    assert d.code == "unbound-local"
    assert d.severity == types.DiagnosticSeverity.Error
    assert doc.range_text(d.range) == "x"
    assert d.range.start.line == doc.pos("LOAD_FAST x").line
    (a,) = await actions_for(doc, d)
    assert a.title == "Use LOAD_FAST_CHECK, which raises UnboundLocalError"
    (e,) = workspace_edits(a.edit, doc.uri)
    assert doc.range_text(e.range) == "LOAD_FAST"
    assert await apply(doc, a) == []
    assert "        LOAD_FAST_CHECK x\n" in doc.text


async def test_unbound_local_in_311_is_a_warning(client, tmp_path):
    text = (
        UNBOUND_312.replace(".python 3.12", ".python 3.11")
        .replace("RETURN_CONST None", "LOAD_CONST None\n        RETURN_VALUE")
        .replace("POP_JUMP_IF_FALSE", "POP_JUMP_FORWARD_IF_FALSE")
    )
    doc, diags = await open_and_wait(client, text, tmp_path / "u.pyasm")
    (d,) = diags
    assert d.code == "unbound-local"
    assert d.severity == types.DiagnosticSeverity.Warning
    # 3.11 has no LOAD_FAST_CHECK (its LOAD_FAST checks): no fix.
    assert await actions_for(doc, d) == []


MISSING_CELL = """.python 3.11
.code module
1       RESUME 0
        LOAD_CONST @f
        MAKE_FUNCTION 0
        STORE_NAME f
        LOAD_CONST None
        RETURN_VALUE

.code f
    .argcount 1
    .var a
1       MAKE_CELL x
        RESUME 0
        LOAD_FAST a
        STORE_DEREF x
        LOAD_DEREF x
        RETURN_VALUE
"""


async def test_missing_cell_offers_a_var_line(client, tmp_path):
    doc, diags = await open_and_wait(client, MISSING_CELL, tmp_path / "c.pyasm")
    missing = [d for d in diags if d.code == "undefined-name"]
    assert missing and all("no cell or free variable named" in d.message for d in missing)
    d = missing[0]
    actions = await actions_for(doc, d)
    assert [a.title for a in actions] == [
        "Declare `x` as a cell variable",
        "Declare `x` as a free variable",
    ]
    (e,) = workspace_edits(actions[0].edit, doc.uri)
    assert e.new_text == "    .var x cell\n"
    # After the block's last `.var` line.
    assert e.range.start == e.range.end == types.Position(line=doc.pos(".var a").line + 1, character=0)
    assert await apply(doc, actions[0]) == []
    assert "    .var a\n    .var x cell\n1       MAKE_CELL x" in doc.text


async def test_missing_var_after_lone_carriage_returns(client, tmp_path):
    """LSP counts a lone `\\r` as a line break (tree-sitter does not): the
    `.var` line still goes after the block's last `.var`, not into the
    block before."""
    text = MISSING_CELL.replace(".python 3.11\n", ".python 3.11\n# one\r# two\r# three\n")
    doc, diags = await open_and_wait(client, text, tmp_path / "c.pyasm")
    d = [d for d in diags if d.code == "undefined-name"][0]
    assert doc.range_text(d.range) == "x"
    a = (await actions_for(doc, d))[0]
    (e,) = workspace_edits(a.edit, doc.uri)
    assert e.range.start.line == doc.pos(".var a").line + 1
    assert await apply(doc, a) == []
    assert "    .var a\n    .var x cell\n" in doc.text


STACKSIZE = """.python 3.11
.code module
    .stacksize 1
1       RESUME 0
        LOAD_CONST 1
        LOAD_CONST 2
        LOAD_CONST 3
        BUILD_TUPLE 3
        POP_TOP
        LOAD_CONST None
        RETURN_VALUE
"""


async def test_too_small_stacksize_offers_the_computed_one(client, tmp_path):
    doc, diags = await open_and_wait(client, STACKSIZE, tmp_path / "s.pyasm")
    (d,) = diags
    assert d.code == "stack-size-too-small"
    assert "the stack size is 1, but some path needs 3" in d.message
    (a,) = await actions_for(doc, d)
    assert a.title == "Write the computed stack size, 3"
    (e,) = workspace_edits(a.edit, doc.uri)
    assert doc.range_text(e.range) == "1" and e.range.start.line == 2
    assert await apply(doc, a) == []
    assert "    .stacksize 3\n" in doc.text


async def test_no_action_without_a_fix(client, tmp_path):
    text = example("3.11", "hello").replace("POP_TOP", "POP_TOP\n        POP_TOP")
    doc, diags = await open_and_wait(client, text, tmp_path / "h.pyasm")
    (d,) = by_code(diags, "stack-underflow")
    assert await actions_for(doc, d) == []


async def test_undefined_label_offers_the_nearest(client, tmp_path):
    text = example("3.12", "loop").replace("JUMP_BACKWARD top", "JUMP_BACKWARD tpo")
    doc, diags = await open_and_wait(client, text, tmp_path / "l.pyasm")
    (d,) = diags
    assert d.code == "bad-jump-target"
    assert "did you mean `top`?" in d.message
    (a,) = await actions_for(doc, d)
    assert a.title == "Replace with `top`"
    (e,) = workspace_edits(a.edit, doc.uri)
    assert doc.range_text(e.range) == "tpo"
    assert await apply(doc, a) == []
    assert doc.text == example("3.12", "loop")
