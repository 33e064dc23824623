//! `pyasm lsp` at the byte level: frames as a client might really write
//! them (malformed, oversized, odd headers), the order in which messages
//! are answered, and how the process ends (issue 19: F1, F4, F7, F8, F10,
//! F12). Each test writes raw bytes to the server's stdin, reads the frames
//! it writes back, and after the error it expects checks that the same
//! session still answers a real request.
//!
//! `PYASM_BIN` names another binary to run these against (the build of
//! main, to see them fail there); by default it is this build's.
//!
//! The time limits are only there to catch a hang: nothing here waits for
//! time to pass.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Long enough for a slow debug build on a loaded machine; reached only by
/// a hang.
const LIMIT: Duration = Duration::from_secs(60);

const URI: &str = "file:///tmp/pyasm-transport/hello.pyasm";

/// `examples/3.11/hello.pyasm`, and where its `POP_TOP` is.
const TEXT: &str = include_str!("../examples/3.11/hello.pyasm");
const POP_TOP: (u32, u32) = (12, 8);

fn bin() -> std::path::PathBuf {
    std::env::var_os("PYASM_BIN")
        .map(Into::into)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_pyasm").into())
}

/// A frame as the LSP base protocol writes it.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    frames: Receiver<Value>,
    stderr: Arc<Mutex<String>>,
    next_id: i64,
    /// Requests the server sent to the client, in order.
    client_requests: Vec<Value>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .arg("lsp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start pyasm lsp");
        let stdout = child.stdout.take().unwrap();
        let (tx, frames) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = Some(v.parse::<usize>().expect("a Content-Length"));
                    }
                }
                let mut body = vec![0; length.expect("a frame without Content-Length")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("a frame that is not JSON");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Server {
            stdin: child.stdin.take(),
            child,
            frames,
            stderr,
            next_id: 1,
            client_requests: Vec::new(),
        }
    }

    /// Initialised (with `capabilities`), with [`TEXT`] open at [`URI`].
    fn ready(args: &[&str], capabilities: Value) -> Server {
        let mut s = Server::start(args);
        let id = s.request("initialize", json!({"capabilities": capabilities}));
        s.answer(id);
        s.notify("initialized", json!({}));
        s.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "pyasm", "version": 1, "text": TEXT}}),
        );
        s
    }

    fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is closed");
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("cannot write to the server: {e}{}", self.log()));
    }

    fn send(&mut self, msg: &Value) {
        self.write(&frame(msg.to_string().as_bytes()));
    }

    fn request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn log(&self) -> String {
        format!(
            "\n--- the server's stderr:\n{}",
            self.stderr.lock().unwrap()
        )
    }

    /// The next response (a frame with no method), keeping the requests
    /// the server sends meanwhile and skipping its notifications.
    fn response(&mut self) -> Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.frames.recv_timeout(left) {
                Ok(v) if v.get("method").is_none() => return v,
                Ok(v) => {
                    if v.get("id").is_some() {
                        self.client_requests.push(v);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no response within {LIMIT:?}{}", self.log())
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.try_wait().ok().flatten();
                    panic!(
                        "the server closed its output (exit status {status:?}){}",
                        self.log()
                    )
                }
            }
        }
    }

    /// The result of the response to request `id`, which must come next.
    fn answer(&mut self, id: i64) -> Value {
        let r = self.response();
        assert_eq!(r["id"], json!(id), "expected the answer to {id}: {r}");
        assert!(r.get("error").is_none(), "request {id} failed: {r}");
        r["result"].clone()
    }

    /// The next response, which must be an error with `code` and `id`.
    fn error(&mut self, code: i64, id: Value) {
        let r = self.response();
        assert_eq!(
            r["error"]["code"],
            json!(code),
            "expected error {code}: {r}"
        );
        assert_eq!(r["id"], id, "{r}");
    }

    fn hover_at(&mut self, (line, character): (u32, u32)) -> String {
        let id = self.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}),
        );
        let result = self.answer(id);
        result["contents"]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("no hover text: {result}"))
            .to_owned()
    }

    /// The session still answers: a hover on the document's `POP_TOP`.
    fn still_answers(&mut self) {
        let text = self.hover_at(POP_TOP);
        assert!(text.contains("POP_TOP"), "{text}");
    }

    fn close_input(&mut self) {
        self.stdin.take();
    }

    /// How the process ended, waiting at most [`LIMIT`].
    fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server is still running after {LIMIT:?}{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Resident memory, from /proc.
    fn rss_kib(&self) -> u64 {
        self.proc_status_kib("VmRSS:")
    }

    /// A figure in KiB from /proc/PID/status.
    fn proc_status_kib(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in /proc/PID/status"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("{}", self.log());
        }
    }
}

fn hover_body(id: Value) -> Vec<u8> {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
        "params": {"textDocument": {"uri": URI},
                   "position": {"line": POP_TOP.0, "character": POP_TOP.1}}
    })
    .to_string()
    .into_bytes()
}

/// Writes `bytes`, expects error `code` for them (with `id`), and then a
/// hover answered in the same session.
fn refused_then_still_answers(bytes: &[u8], code: i64, id: Value) {
    let mut s = Server::ready(&[], json!({}));
    s.write(bytes);
    s.error(code, id);
    s.still_answers();
}

// F1: malformed messages get their error and the session goes on.

#[test]
fn invalid_json() {
    refused_then_still_answers(
        &frame(br#"{"jsonrpc": "2.0", "method": "#),
        -32700,
        Value::Null,
    );
}

#[test]
fn invalid_utf8() {
    let body = b"{\"jsonrpc\": \"2.0\", \"method\": \"x\", \"params\": \"\xff\xfe\"}";
    refused_then_still_answers(&frame(body), -32700, Value::Null);
}

#[test]
fn nesting_deeper_than_the_parser_goes() {
    let body = format!(
        r#"{{"jsonrpc": "2.0", "method": "x", "params": {}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    refused_then_still_answers(&frame(body.as_bytes()), -32700, Value::Null);
}

#[test]
fn a_fractional_id() {
    let body = br#"{"jsonrpc": "2.0", "id": 1.5, "method": "shutdown"}"#;
    refused_then_still_answers(&frame(body), -32600, Value::Null);
}

#[test]
fn a_request_without_method_is_refused_with_its_id() {
    let body = br#"{"jsonrpc": "2.0", "id": 77, "params": {}}"#;
    refused_then_still_answers(&frame(body), -32600, json!(77));
}

#[test]
fn an_empty_message() {
    // F10: an empty frame used to hold back the messages after it.
    refused_then_still_answers(b"Content-Length: 0\r\n\r\n", -32700, Value::Null);
}

#[test]
fn a_header_block_without_content_length() {
    let mut bytes = b"Content-Lenght: 2\r\n\r\n{}".to_vec();
    bytes.extend(frame(b"[]"));
    let mut s = Server::ready(&[], json!({}));
    s.write(&bytes);
    // The block without a length, then the frame found after it (an array:
    // not a request).
    s.error(-32700, Value::Null);
    s.error(-32600, Value::Null);
    s.still_answers();
}

/// A hover framed with `headers`, answered; then an ordinary one.
fn hover_with_headers(headers: &str) {
    let mut s = Server::ready(&[], json!({}));
    let body = hover_body(json!(500));
    let mut bytes = headers.replace("{n}", &body.len().to_string()).into_bytes();
    bytes.extend(b"\r\n");
    bytes.extend(&body);
    s.write(&bytes);
    let text = s.answer(500)["contents"]["value"].to_string();
    assert!(text.contains("POP_TOP"), "{text}");
    s.still_answers();
}

#[test]
fn content_type_without_charset() {
    hover_with_headers("Content-Length: {n}\r\nContent-Type: application/vscode-jsonrpc\r\n");
}

#[test]
fn content_type_with_utf8_spelled_otherwise() {
    hover_with_headers(
        "Content-Length: {n}\r\nContent-Type: application/vscode-jsonrpc; charset=UTF-8\r\n",
    );
    hover_with_headers(
        "Content-Type: application/vscode-jsonrpc; charset=utf8\r\nContent-Length: {n}\r\n",
    );
}

#[test]
fn lower_case_content_length() {
    hover_with_headers("content-length: {n}\r\n");
}

#[test]
fn a_third_header_line() {
    hover_with_headers(
        "Content-Length: {n}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\nX-Trace: 1\r\n",
    );
}

#[test]
fn another_charset_is_refused_and_skipped() {
    let body = hover_body(json!(9));
    let mut bytes = format!(
        "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=latin1\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend(&body);
    refused_then_still_answers(&bytes, -32600, Value::Null);
}

#[test]
fn a_lone_surrogate_keeps_the_document_in_step() {
    // Half a UTF-16 pair and an `X` go into the string constant on line
    // 9 (from 0), right after its quote; then the `X` is deleted by UTF-16
    // position, the surrogate counting one unit. Were the change refused,
    // or the surrogate counted otherwise, the `X` would stay.
    let mut s = Server::ready(&[], json!({}));
    let quote = (9, 19);
    let at = |c: u32| json!({"line": quote.0, "character": quote.1 + c});
    let insert = json!({
        "jsonrpc": "2.0", "method": "textDocument/didChange",
        "params": {"textDocument": {"uri": URI, "version": 2},
                   "contentChanges": [{"range": {"start": at(1), "end": at(1)}, "text": "\u{0}X"}]}
    })
    .to_string()
    .replace("\\u0000", "\\ud800");
    assert!(insert.contains(r"\ud800X"), "{insert}");
    s.write(&frame(insert.as_bytes()));
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3},
               "contentChanges": [{"range": {"start": at(2), "end": at(3)}, "text": ""}]}),
    );
    let hover = s.hover_at(quote);
    // (The constant is shown as the disassembler writes it, which escapes
    // U+FFFD.)
    assert!(
        hover.contains("'\u{fffd}Hello, world!'") || hover.contains(r"'\ufffdHello, world!'"),
        "{hover}"
    );
    s.still_answers();
}

// F8: the size limit, and memory after a large message.

#[test]
fn a_message_over_the_limit_is_refused_and_skipped() {
    let mut s = Server::ready(&["--max-message-size", "1000"], json!({}));
    let mut big = hover_body(json!(3));
    big.truncate(big.len() - 1);
    big.extend(format!(r#","padding":"{}"}}"#, "p".repeat(5000)).bytes());
    s.write(&frame(&big));
    s.error(-32600, Value::Null);
    s.still_answers();
}

#[test]
fn a_length_of_two_to_the_forty_is_refused_before_its_body() {
    let mut s = Server::ready(&[], json!({}));
    s.still_answers();
    let before = s.rss_kib();
    s.write(b"Content-Length: 1099511627776\r\n\r\n");
    // Refused at once, not after the body.
    s.error(-32600, Value::Null);
    // 100 MiB of what the header announced: read and thrown away.
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..100 {
        s.write(&chunk);
    }
    s.write(&frame(&hover_body(json!(4))));
    let after = s.rss_kib();
    println!("resident: {before} KiB before, {after} KiB after 100 MiB of a 2^40-byte body");
    assert!(
        after < before + 32 * 1024,
        "{before} KiB before, {after} KiB after{}",
        s.log()
    );
    // The hover is part of that body, so it gets no answer; the process
    // ends with the input, as after an exit without shutdown.
    s.close_input();
    assert_eq!(s.exit_status().code(), Some(1));
}

#[test]
fn memory_comes_back_after_a_large_message() {
    let mut s = Server::ready(&[], json!({}));
    s.still_answers();
    let before = s.rss_kib();
    // A hover with 50 MB of a field nobody reads: answered, not kept.
    let mut big = hover_body(json!(5));
    big.truncate(big.len() - 1);
    big.extend(format!(r#","padding":"{}"}}"#, "p".repeat(50_000_000)).bytes());
    s.write(&frame(&big));
    drop(big);
    let text = s.answer(5)["contents"]["value"].to_string();
    assert!(text.contains("POP_TOP"), "{text}");
    s.still_answers();
    let after = s.rss_kib();
    println!("resident: {before} KiB before, {after} KiB after a 50 MB message");
    assert!(
        after < before + 16 * 1024,
        "{before} KiB before, {after} KiB after{}",
        s.log()
    );
}

#[test]
fn what_updates_keep_while_typing_is_given_back_when_it_stops() {
    // Each update after an edit in a block of 50,000 instructions makes
    // lists of that length and frees them; while edits come, the server
    // keeps that memory for the next update (see `lsp::Memory`).
    let mut s = Server::ready(&[], json!({}));
    let uri = "file:///tmp/pyasm-transport/big.pyasm";
    let text = format!(
        ".code module\n{}    LOAD_CONST None\n    RETURN_VALUE\n",
        "    NOP\n".repeat(50_000)
    );
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "pyasm", "version": 1, "text": text}}),
    );
    s.still_answers();
    let opened = s.rss_kib();
    for version in 2..8 {
        // A character typed at the start of the first NOP, then deleted.
        let end = if version % 2 == 0 { 4 } else { 5 };
        let typed = if version % 2 == 0 { "N" } else { "" };
        s.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [
                {"range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": end}}, "text": typed}
            ]}),
        );
    }
    s.still_answers();
    let typing = s.rss_kib();
    // Given back within a second of the last edit; polled for longer, for
    // a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut rested = s.rss_kib();
    while rested > opened + 2048 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        rested = s.rss_kib();
    }
    println!("resident: {opened} KiB after opening, {typing} KiB while typing, {rested} KiB after");
    assert!(
        typing > opened + 4096,
        "nothing was kept while typing: {opened} KiB, then {typing} KiB{}",
        s.log()
    );
    assert!(
        rested <= opened + 2048,
        "{opened} KiB after opening, {rested} KiB after typing stopped{}",
        s.log()
    );
}

#[test]
fn a_message_that_would_take_too_much_memory_to_parse_is_refused() {
    // 20 MB of small objects: each takes a map node of some 600 bytes once
    // parsed (the whole took 1.6 GB). Refused unparsed, with its id.
    let mut s = Server::ready(&[], json!({}));
    s.still_answers();
    let mut big = hover_body(json!(6));
    big.truncate(big.len() - 1);
    big.extend(br#","padding":["#);
    big.extend(br#"{"a":0},"#.repeat(2_500_000));
    big.extend(br#"{}]}"#);
    s.write(&frame(&big));
    drop(big);
    let r = s.response();
    let peak = s.proc_status_kib("VmHWM:");
    println!("peak resident: {peak} KiB after 20 MB of small objects");
    assert!(peak < 400 * 1024, "peak {peak} KiB{}", s.log());
    assert_eq!(r["error"]["code"], json!(-32600), "{r}");
    assert_eq!(r["id"], json!(6), "{r}");
    s.still_answers();
}

// F12 and life cycle.

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut s = Server::ready(&[], json!({}));
    s.still_answers();
    s.notify("exit", Value::Null);
    assert_eq!(s.exit_status().code(), Some(1), "{}", s.log());
}

#[test]
fn exit_after_shutdown_is_status_0() {
    let mut s = Server::ready(&[], json!({}));
    s.still_answers();
    let id = s.request("shutdown", Value::Null);
    s.answer(id);
    s.notify("exit", Value::Null);
    assert_eq!(s.exit_status().code(), Some(0), "{}", s.log());
}

#[test]
fn end_of_input_without_shutdown_is_status_1() {
    let mut s = Server::ready(&[], json!({}));
    s.still_answers();
    s.close_input();
    assert_eq!(s.exit_status().code(), Some(1), "{}", s.log());
}

// F4: requests to the client that are never answered.

const PULLS_CONFIGURATION: fn() -> Value = || json!({"workspace": {"configuration": true}});

#[test]
fn an_unanswered_configuration_request_does_not_keep_the_process() {
    let mut s = Server::ready(&[], PULLS_CONFIGURATION());
    s.still_answers();
    assert!(
        s.client_requests
            .iter()
            .any(|r| r["method"] == "workspace/configuration"),
        "the server did not ask for its configuration: {:?}",
        s.client_requests
    );
    let id = s.request("shutdown", Value::Null);
    s.answer(id);
    s.notify("exit", Value::Null);
    assert_eq!(s.exit_status().code(), Some(0), "{}", s.log());
}

#[test]
fn closed_input_ends_the_process_with_a_configuration_request_unanswered() {
    let mut s = Server::ready(&[], PULLS_CONFIGURATION());
    s.still_answers();
    s.close_input();
    assert_eq!(s.exit_status().code(), Some(1), "{}", s.log());
}

#[test]
fn unanswered_requests_to_the_client_do_not_stop_processing() {
    let mut s = Server::ready(&[], PULLS_CONFIGURATION());
    // Each empty configuration change makes the server ask again.
    for _ in 0..5 {
        s.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    }
    for _ in 0..10 {
        s.still_answers();
    }
    let asked = s
        .client_requests
        .iter()
        .filter(|r| r["method"] == "workspace/configuration")
        .count();
    assert!(
        asked >= 6,
        "{asked} configuration requests: {:?}",
        s.client_requests
    );
}

// F7: every request is answered against the text as it was when it
// arrived.

#[test]
fn hovers_are_answered_against_the_text_they_were_sent_on() {
    let mut s = Server::ready(&[], json!({}));
    s.still_answers();
    const N: usize = 200;
    let words = ["POP_TOP", "NOP"];
    // Hover i is sent while the word is words[i % 2]; the change right
    // behind it makes it the other one.
    let mut bytes = Vec::new();
    for i in 0..N {
        bytes.extend(frame(&hover_body(json!(1000 + i))));
        let (old, new) = (words[i % 2], words[(i + 1) % 2]);
        let change = json!({
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": URI, "version": 2 + i},
                       "contentChanges": [{"range": {
                           "start": {"line": POP_TOP.0, "character": POP_TOP.1},
                           "end": {"line": POP_TOP.0, "character": POP_TOP.1 + old.len() as u32}},
                           "text": new}]}
        });
        bytes.extend(frame(change.to_string().as_bytes()));
    }
    s.write(&bytes);
    let mut later = 0;
    for _ in 0..N {
        let r = s.response();
        let id = r["id"].as_u64().expect("an id") as usize - 1000;
        let text = r["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let (then, after) = (words[id % 2], words[(id + 1) % 2]);
        if !text.contains(then) || text.contains(after) {
            later += 1;
        }
    }
    assert_eq!(
        later, 0,
        "{later} of {N} hovers were answered against later text"
    );
}
