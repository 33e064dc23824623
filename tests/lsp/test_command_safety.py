"""`pyasm.build` and `pyasm.disassemble` given hostile files and workspaces
(issue 19, F2 F3 F5 F6 F13).

Commands read regular files only (no FIFO, device, /proc or /dev/stdin),
within a size limit, a .pyc's header before the rest, off the message loop,
and a cancelled command stops. Errors name the file and a reason, never its
bytes. Builds write only inside a workspace folder that exists at the
moment of the write, reached without following links, and only for `file:`
documents."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading

import pytest
import pytest_lsp
from conftest import CONFIG, capabilities
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pytest_lsp import LanguageClient

from lsputil import TIMEOUT, command, example, open_and_wait, open_doc, run_pyc, uri_of, until

# A server that grows past this was reading what it should have refused.
RSS_LIMIT = 200 << 20


def server_pid(client) -> int:
    return client._server.pid


def peak_rss(client) -> int:
    """The server's peak resident memory so far, in bytes."""
    with open(f"/proc/{server_pid(client)}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def cpu_ticks(client) -> int:
    """The CPU time the server has used, in clock ticks."""
    with open(f"/proc/{server_pid(client)}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


async def within(coro, what: str):
    """`coro`'s outcome; a hang fails the test instead of stalling it."""
    try:
        return await asyncio.wait_for(coro, TIMEOUT)
    except asyncio.TimeoutError:
        raise AssertionError(f"no answer to {what}: the server hangs") from None


async def still_serving(client):
    """The server answers a request right after."""
    with pytest.raises(JsonRpcInvalidParams, match="unknown command"):
        await within(command(client, "pyasm.nope"), "the next request")


def hexes(data: bytes) -> list[str]:
    """How four bytes of a file could show in a message: as hex, or as the
    number they make."""
    four = data[:4]
    return [
        " ".join(f"{b:02x}" for b in four),
        four.hex(),
        f"{int.from_bytes(four, 'little'):#x}",
        str(int.from_bytes(four, "little")),
    ]


def tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


MAGIC_311 = (3495).to_bytes(2, "little") + b"\r\n"


# F2: what disassemble reads ----------------------------------------------------


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "dev-stdin", "proc-environ", "big-bad-header"])
async def test_disassemble_reads_regular_files_only(client, tmp_path, kind):
    if kind == "dev-zero":
        target = tmp_path / "x.pyc"
        target.symlink_to("/dev/zero")
        why = "character device"
    elif kind == "fifo":
        target = tmp_path / "x.pyc"
        os.mkfifo(target)
        why = "FIFO"
    elif kind == "dev-stdin":
        target = "/dev/stdin"
        why = "FIFO"
    elif kind == "proc-environ":
        target = "/proc/self/environ"
        why = "/proc"
    else:
        # 1 GiB (sparse) that does not start like a .pyc.
        target = tmp_path / "big.pyc"
        with open(target, "wb") as f:
            f.write(b"not a pyc at all")
            f.truncate(1 << 30)
        why = "larger than the limit|magic number"
    with pytest.raises(JsonRpcInvalidParams, match=why) as e:
        await within(command(client, "pyasm.disassemble", str(target)), "disassemble")
    if kind == "proc-environ":
        with open(f"/proc/{server_pid(client)}/environ", "rb") as f:
            environ = f.read()
        for h in hexes(environ):
            assert h not in str(e.value), e.value
    await still_serving(client)
    print(f"{kind}: the server's peak RSS was {peak_rss(client) >> 20} MiB")
    assert peak_rss(client) < RSS_LIMIT, peak_rss(client)


@pytest.mark.parametrize(
    "data",
    [
        b"\xde\xad\xbe\xefTOPSECRET-TOKEN-0123456789",
        MAGIC_311 + b"\xde\xad\xbe\xef" + bytes(8) + b"TOPSECRET-TOKEN",
        MAGIC_311 + bytes(12) + b"sTOPSECRET-TOKEN",
    ],
    ids=["magic", "flags", "marshal"],
)
async def test_disassemble_errors_show_no_bytes_of_the_file(client, tmp_path, data):
    f = tmp_path / "secret.pyc"
    f.write_bytes(data)
    with pytest.raises(JsonRpcInvalidParams) as e:
        await within(command(client, "pyasm.disassemble", str(f)), "disassemble")
    msg = str(e.value)
    assert str(f) in msg, msg
    said = msg.replace(str(f), "<path>")
    assert "TOPSECRET" not in said and "deadbeef" not in said.replace(" ", ""), msg
    for at in (0, 4, 17):
        if any(data[at : at + 4]):
            for h in hexes(data[at:]):
                assert h not in said, (h, msg)


# F3: what build reads ----------------------------------------------------------


@pytest.mark.lsp(folders=["ws"])
@pytest.mark.parametrize("kind", ["fifo", "dev-stdin"])
async def test_build_reads_regular_files_only(client, tmp_path, kind):
    doc = tmp_path / "ws" / "evil.pyasm"
    if kind == "fifo":
        os.mkfifo(doc)
    else:
        doc.symlink_to("/dev/stdin")
    with pytest.raises(JsonRpcInvalidRequest, match="cannot read|refusing"):
        await within(command(client, "pyasm.build", uri_of(tmp_path / "ws") + "/evil.pyasm"), "build")
    assert tree(tmp_path / "ws") == ["evil.pyasm"]
    await still_serving(client)


@pytest.mark.lsp(folders=["ws"])
async def test_a_document_linked_from_inside_the_workspace_is_read(client, tmp_path):
    """The file is read by its resolved path, one folder at a time, so a
    link that stays inside the workspace still works."""
    ws = tmp_path / "ws"
    (ws / "real").mkdir()
    (ws / "real" / "h.pyasm").write_text(example("3.11", "hello"))
    (ws / "h.pyasm").symlink_to(ws / "real" / "h.pyasm")
    res = await command(client, "pyasm.build", uri_of(ws) + "/h.pyasm")
    assert res == {"path": str(ws / "h.pyc")}
    assert run_pyc(ws / "h.pyc") == "Hello, world!\n"


# F5: a workspace that is not there ---------------------------------------------


@pytest_lsp.fixture(config=CONFIG)
async def client_missing_folder(lsp_client: LanguageClient, tmp_path):
    """A session whose only workspace folder does not exist."""
    (tmp_path / "other").mkdir()
    lsp_client.init_result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            workspace_folders=[types.WorkspaceFolder(uri=(tmp_path / "ws").as_uri(), name="ws")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def refused(client, uri, root, match):
    before = tree(root)
    with pytest.raises(JsonRpcInvalidRequest, match=match):
        await within(command(client, "pyasm.build", uri), "build")
    assert tree(root) == before, "a refused build wrote something"


async def test_a_declared_folder_that_does_not_exist_allows_nothing(client_missing_folder, tmp_path):
    client = client_missing_folder
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "other" / "h.pyasm")
    await refused(client, doc.uri, tmp_path, "no workspace folder exists")
    # Once it exists, it is the workspace, and `other` is outside it.
    (tmp_path / "ws").mkdir()
    await refused(client, doc.uri, tmp_path, "outside the workspace")
    inside, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "ws" / "h.pyasm")
    assert await command(client, "pyasm.build", inside.uri) == {"path": str(tmp_path / "ws" / "h.pyc")}


async def test_a_folder_added_that_does_not_exist_allows_nothing(client, tmp_path):
    # A session without a workspace, then one folder that is not there.
    (tmp_path / "other").mkdir()
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=(tmp_path / "ws").as_uri(), name="ws")],
                removed=[],
            )
        )
    )
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "other" / "h.pyasm")
    await refused(client, doc.uri, tmp_path, "no workspace folder exists")


@pytest.mark.lsp(folders=["ws"])
async def test_removing_the_only_folder_allows_nothing(client, tmp_path):
    doc, _ = await open_and_wait(client, example("3.11", "hello"), tmp_path / "ws" / "h.pyasm")
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[],
                removed=[types.WorkspaceFolder(uri=(tmp_path / "ws").as_uri(), name="ws")],
            )
        )
    )
    await refused(client, doc.uri, tmp_path, "no local folder left")


# F6: a folder swapped for a link between the check and the write ---------------


@pytest.mark.lsp(folders=["ws"], init_options={"outputDir": "out"})
async def test_a_folder_swapped_for_a_link_is_never_written_through(client, tmp_path):
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    out, parked = ws / "out", ws / "out.parked"
    out.mkdir()
    outside.mkdir()
    doc, _ = await open_and_wait(client, example("3.11", "hello"), ws / "h.pyasm")
    # Nothing swapped: builds succeed.
    for _ in range(3):
        assert await command(client, "pyasm.build", doc.uri) == {"path": str(out / "h.pyc")}

    stop = threading.Event()
    swaps = [0]

    def swap():
        while not stop.is_set():
            try:
                os.rename(out, parked)
                os.symlink(outside, out)
                os.unlink(out)
                os.rename(parked, out)
                swaps[0] += 1
            except OSError:
                restore()

    def restore():
        # A build made `out` while it was away: put the real one back.
        while parked.exists():
            try:
                if out.is_symlink():
                    out.unlink()
                elif out.is_dir():
                    shutil.rmtree(out)
                os.rename(parked, out)
            except OSError:
                continue

    t = threading.Thread(target=swap)
    t.start()
    outcomes = {"built": 0, "refused": 0}
    try:
        for _ in range(150):
            try:
                await within(command(client, "pyasm.build", doc.uri), "build")
                outcomes["built"] += 1
            except JsonRpcInvalidRequest:
                outcomes["refused"] += 1
    finally:
        stop.set()
        t.join()
    print("outcomes while swapping:", outcomes, "swaps:", swaps[0])
    assert swaps[0] > 0
    assert tree(outside) == [], "a .pyc was written through the link"
    # And with the folder left alone, builds succeed again.
    assert await command(client, "pyasm.build", doc.uri) == {"path": str(out / "h.pyc")}
    assert run_pyc(out / "h.pyc") == "Hello, world!\n"


# F13: only files are built -----------------------------------------------------


@pytest.mark.lsp(folders=["ws"])
@pytest.mark.parametrize(
    "scheme,match",
    [("untitled", "save it"), ("git", "`git:`"), ("http", "`http:`")],
)
async def test_only_file_documents_are_built(client, tmp_path, scheme, match):
    path = (tmp_path / "ws" / "h.pyasm").as_posix()
    uri = {
        "untitled": "untitled:Untitled-1",
        "git": f"git:{path}?ref=HEAD",
        "http": f"http://localhost{path}",
    }[scheme]
    open_doc(client, example("3.11", "hello"), uri=uri)
    await refused(client, uri, tmp_path, match)
    msgs = await until(
        lambda: [m for m in client.messages if m.type == types.MessageType.Error],
        "the error message",
    )
    assert match.strip("`") in msgs[-1].message


# Cancellation ------------------------------------------------------------------


async def test_a_cancelled_build_stops_and_the_server_goes_on(client, tmp_path):
    """A build that takes seconds (200,000 instructions, not open), cancelled
    once the server is busy with it: the reply is RequestCancelled, the
    request behind it is answered while the build would still be running,
    and the cancelled build never writes its .pyc."""
    text = example("3.11", "hello").replace(
        "RESUME 0\n", "RESUME 0\n" + "        LOAD_CONST None\n        POP_TOP\n" * 200_000, 1
    )
    big = tmp_path / "big.pyasm"
    big.write_text(text)
    mid = "slow-build"
    start = cpu_ticks(client)
    fut = asyncio.wrap_future(
        client.protocol.send_request(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="pyasm.build", arguments=[uri_of(big)]),
            msg_id=mid,
        )
    )
    # The server has started on it (a tenth of a second of CPU).
    await until(lambda: cpu_ticks(client) >= start + 10, "the server to start the build")
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=mid))
    await still_serving(client)
    assert not (tmp_path / "big.pyc").exists(), "the build ran to its end before the next request"
    with pytest.raises(JsonRpcException) as e:
        await within(fut, "the cancelled build")
    assert e.value.code == -32800, e.value

    # Once the server is idle again, there is still no .pyc.
    async def idle():
        before = cpu_ticks(client)
        await asyncio.sleep(0.5)
        return cpu_ticks(client) == before

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not await idle():
        assert loop.time() < deadline, "the server is still busy"
    assert not (tmp_path / "big.pyc").exists(), "a cancelled build wrote its .pyc"
