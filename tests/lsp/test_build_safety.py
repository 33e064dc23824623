"""`pyasm.build` writes only to the path derived from the document and the
configured output folder, and only inside the workspace: the folders of
`workspaceFolders` (followed through didChangeWorkspaceFolders), else
`rootUri`, else, with no workspace at all, the document's own folder (a
client that declared folders that are all missing or removed gets nothing:
see test_command_safety.py).
Documents and output folders are resolved through `..` and symbolic links
before they are checked, and a refused build writes nothing anywhere."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest

from lsputil import command, example, open_and_wait, run_pyc, uri_of, until


def tree(root):
    """Every file under `root`, relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


async def refused(client, doc_uri, root, before, match):
    with pytest.raises(JsonRpcInvalidRequest, match=match):
        await command(client, "pyasm.build", doc_uri)
    assert tree(root) == before, "a refused build wrote something"
    await until(
        lambda: [m for m in client.messages if m.type == types.MessageType.Error],
        "the error message",
    )


async def test_the_server_declares_workspace_folders(client):
    ws = client.init_result.capabilities.workspace
    assert ws.workspace_folders.supported is True
    assert ws.workspace_folders.change_notifications is True


@pytest.mark.lsp(folders=["ws"])
async def test_build_inside_the_workspace(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "ws" / "hello.pyasm")
    res = await command(client, "pyasm.build", doc.uri)
    assert res == {"path": str(tmp_path / "ws" / "hello.pyc")}
    assert run_pyc(tmp_path / "ws" / "hello.pyc") == "Hello, world!\n"


@pytest.mark.lsp(folders=["ws"])
async def test_a_document_outside_the_workspace_is_refused(client, tmp_path):
    (tmp_path / "other").mkdir()
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "other" / "hello.pyasm")
    before = tree(tmp_path)
    await refused(client, doc.uri, tmp_path, before, "outside the workspace")
    # The same document named through `..` from inside the workspace.
    sneaky = uri_of(tmp_path / "ws").rstrip("/") + "/../other/hello.pyasm"
    await refused(client, sneaky, tmp_path, before, "outside the workspace")


@pytest.mark.lsp(folders=["ws"])
async def test_a_document_linked_from_outside_is_refused(client, tmp_path):
    (tmp_path / "outside").mkdir()
    real = tmp_path / "outside" / "hello.pyasm"
    real.write_text(example("3.11", "hello"))
    link = tmp_path / "ws" / "hello.pyasm"
    link.symlink_to(real)
    before = tree(tmp_path)
    await refused(client, uri_of(tmp_path / "ws") + "/hello.pyasm", tmp_path, before, "outside the workspace")


@pytest.mark.parametrize(
    "output_dir",
    ["..", "../out", "sub/../../out", "link", "link/deeper", "ABSOLUTE"],
)
async def test_an_output_dir_outside_the_workspace_is_refused(client, tmp_path, output_dir):
    # One workspace folder, announced through didChangeWorkspaceFolders (the
    # session started without any).
    ws = tmp_path / "ws"
    ws.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (ws / "link").symlink_to(tmp_path / "elsewhere")
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=ws.as_uri(), name="ws")], removed=[]
            )
        )
    )
    if output_dir == "ABSOLUTE":
        output_dir = str(tmp_path / "elsewhere")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"outputDir": output_dir}})
    )
    await until(lambda: client.inlay_hint_refreshes >= 1, "the settings to apply")
    doc, _ = await open_and_wait(client, example("3.11", "hello"), ws / "hello.pyasm")
    before = tree(tmp_path)
    await refused(client, doc.uri, tmp_path, before, "output folder is outside the workspace")


@pytest.mark.lsp(folders=["ws"], init_options={"outputDir": "build/../out/./pyc"})
async def test_an_output_dir_inside_the_workspace_is_made(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "loop"), tmp_path / "ws" / "loop.pyasm")
    res = await command(client, "pyasm.build", doc.uri)
    pyc = tmp_path / "ws" / "out" / "pyc" / "loop.pyc"
    assert res == {"path": str(pyc)}
    assert tree(tmp_path / "ws") == ["loop.pyasm", "out/pyc/loop.pyc"]


@pytest.mark.lsp(root_uri="proj")
async def test_root_uri_is_the_workspace_without_folders(client, tmp_path):
    (tmp_path / "proj" / "src").mkdir()
    doc, _ = await open_and_wait(
        client, example("3.11", "hello"), tmp_path / "proj" / "src" / "hello.pyasm"
    )
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"outputDir": "../build"}})
    )
    await until(lambda: client.inlay_hint_refreshes >= 1, "the settings to apply")
    res = await command(client, "pyasm.build", doc.uri)
    assert res == {"path": str(tmp_path / "proj" / "build" / "hello.pyc")}
    # `../..` from src/ leaves proj/.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"outputDir": "../.."}})
    )
    await until(lambda: client.inlay_hint_refreshes >= 2, "the settings to apply")
    before = tree(tmp_path)
    await refused(client, doc.uri, tmp_path, before, "outside the workspace")


@pytest.mark.lsp(init_options={"outputDir": "../out"})
async def test_without_a_workspace_the_document_folder_is_the_limit(client, tmp_path):
    (tmp_path / "a").mkdir()
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "a" / "hello.pyasm")
    before = tree(tmp_path)
    await refused(client, doc.uri, tmp_path, before, "outside the workspace")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"pyasm": {"outputDir": "out"}})
    )
    await until(lambda: client.inlay_hint_refreshes >= 1, "the settings to apply")
    res = await command(client, "pyasm.build", doc.uri)
    assert res == {"path": str(tmp_path / "a" / "out" / "hello.pyc")}


@pytest.mark.lsp(folders=["ws"])
async def test_removing_the_folder_takes_the_permission_away(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "ws" / "hello.pyasm")
    (tmp_path / "elsewhere").mkdir()
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=(tmp_path / "elsewhere").as_uri(), name="x")],
                removed=[types.WorkspaceFolder(uri=(tmp_path / "ws").as_uri(), name="ws")],
            )
        )
    )
    before = tree(tmp_path)
    await refused(client, doc.uri, tmp_path, before, "outside the workspace")
