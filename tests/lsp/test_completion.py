"""Completion: the opcodes of the file's version, labels after a jump,
locals after LOAD_FAST, names, constants, code blocks after `@`,
directives after `.`."""

from __future__ import annotations

from lsprotocol import types

from lsputil import example, open_and_wait


async def complete(doc, p):
    r = await doc.client.text_document_completion_async(
        types.CompletionParams(text_document=doc.ident, position=p)
    )
    if isinstance(r, types.CompletionList):
        r = r.items
    return {i.label: i for i in r or []}


def at_end_of(doc, line_text):
    """The position at the end of the (unique) line `line_text`."""
    return doc.pos(line_text + "\n", delta=len(line_text))


async def opcodes_at_new_line(client, tmp_path, version):
    # An empty instruction line after RESUME.
    text = example(version, "hello").replace("RESUME 0\n", "RESUME 0\n        \n")
    doc, _ = await open_and_wait(client, text, tmp_path / f"h{version}.pyasm")
    return await complete(doc, doc.pos("RESUME 0\n", delta=len("RESUME 0\n") + 8))


async def test_opcodes_of_the_files_version(client, tmp_path):
    ops311 = await opcodes_at_new_line(client, tmp_path, "3.11")
    ops313 = await opcodes_at_new_line(client, tmp_path, "3.13")
    # PRECALL is 3.11 only; CALL_KW and TO_BOOL are 3.13 and later.
    assert "PRECALL" in ops311 and "PRECALL" not in ops313
    assert "CALL_KW" in ops313 and "CALL_KW" not in ops311
    assert "TO_BOOL" in ops313 and "TO_BOOL" not in ops311
    # With the stack effect in the detail.
    assert ops311["POP_TOP"].detail == "stack effect -1"
    assert ops311["PUSH_NULL"].detail == "stack effect +1"
    assert ops311["BUILD_TUPLE"].detail == "stack effect +1 (argument 0)"
    assert ops313["POP_TOP"].detail == "stack effect -1"
    # (Directives are offered too at the start of a line.)
    assert ".var" in ops311
    for item in (i for i in ops311.values() if not i.label.startswith(".")):
        assert item.kind == types.CompletionItemKind.Keyword
        assert item.detail.startswith("stack effect")


async def test_partial_opcode(client, tmp_path):
    text = example("3.11", "hello").replace("POP_TOP", "PRE")
    doc, _ = await open_and_wait(client, text, tmp_path / "h.pyasm")
    items = await complete(doc, at_end_of(doc, "        PRE"))
    # The client filters by the prefix; the server offers the opcodes.
    assert "PRECALL" in items and "RETURN_VALUE" in items


async def test_labels_after_a_jump(client, tmp_path):
    text = example("3.11", "loop").replace("JUMP_BACKWARD top", "JUMP_BACKWARD ")
    doc, _ = await open_and_wait(client, text, tmp_path / "loop.pyasm")
    items = await complete(doc, at_end_of(doc, "        JUMP_BACKWARD "))
    assert set(items) == {"top", "done"}
    assert all(i.kind == types.CompletionItemKind.Reference for i in items.values())
    # Also with the first letters of one typed (the client filters).
    text = example("3.11", "loop").replace("FOR_ITER done           # pushes", "FOR_ITER do")
    doc, _ = await open_and_wait(client, text, tmp_path / "loop2.pyasm")
    items = await complete(doc, doc.pos("FOR_ITER do", delta=len("FOR_ITER do")))
    assert set(items) == {"top", "done"}


async def test_locals_after_load_fast(client, tmp_path):
    text = example("3.11", "closure").replace("LOAD_FAST bump", "LOAD_FAST ")
    doc, _ = await open_and_wait(client, text, tmp_path / "closure.pyasm")
    items = await complete(doc, at_end_of(doc, "LOAD_FAST "))
    assert set(items) == {"start", "bump", "count"}
    assert items["start"].detail == "local #0 (kind 0x20)"
    assert items["count"].detail == "local #2 (kind 0x40)"
    assert items["bump"].kind == types.CompletionItemKind.Variable


async def test_names_after_load_name(client, tmp_path):
    text = example("3.11", "closure").replace("LOAD_NAME print", "LOAD_NAME ")
    doc, _ = await open_and_wait(client, text, tmp_path / "closure.pyasm")
    items = await complete(doc, at_end_of(doc, "        LOAD_NAME "))
    assert {"make_counter", "c"} <= set(items)
    assert items["make_counter"].detail == "co_names #0"


async def test_blocks_after_at(client, tmp_path):
    text = example("3.11", "closure").replace("LOAD_CONST @bump", "LOAD_CONST @")
    doc, _ = await open_and_wait(client, text, tmp_path / "closure.pyasm")
    items = await complete(doc, at_end_of(doc, "        LOAD_CONST @"))
    # Neither the module's own block nor the one being written: a block
    # cannot contain itself.
    assert set(items) == {"@bump"}
    assert items["@bump"].kind == types.CompletionItemKind.Function
    # In the module, both functions.
    items = await complete(doc, doc.pos("@make_counter", delta=1))
    assert set(items) == {"@bump", "@make_counter"}


async def test_constants_after_load_const(client, tmp_path):
    text = example("3.11", "closure").replace("LOAD_CONST 10", "LOAD_CONST ")
    doc, _ = await open_and_wait(client, text, tmp_path / "closure.pyasm")
    items = await complete(doc, at_end_of(doc, "        LOAD_CONST "))
    assert {"None", "True", "False", "@bump", "@make_counter"} <= set(items)
    # The table's entries in index form, with value and type.
    assert items["#0"].detail == "@make_counter (code)"
    assert items["#1"].detail == "None (NoneType)"


async def test_directives_after_dot(client, tmp_path):
    text = example("3.11", "closure").replace("    .argcount 1", "    .")
    doc, _ = await open_and_wait(client, text, tmp_path / "closure.pyasm")
    items = await complete(doc, at_end_of(doc, "    ."))
    assert {".argcount", ".var", ".stacksize", ".flags", ".code"} <= set(items)
    assert "LOAD_CONST" not in items
    assert items[".var"].detail == "declare a fast local"
