//! The message loop of `pyasm lsp`: frames on stdin and stdout, and the
//! order in which messages reach the server.
//!
//! tower-lsp-server's own `Server` stops at the first frame it cannot
//! decode, runs at most four handlers at a time and starts each handler
//! only after later messages have been read; this loop replaces it in
//! front of the same `LspService`.
//!
//! - Reading (a thread of its own, [`FrameReader`]): header names in any
//!   case, unknown headers ignored, a `Content-Type` whose charset is not
//!   UTF-8 refused. A message over the size limit is refused before its
//!   body is read, and the body is then read and thrown away in the reader's
//!   buffer-sized pieces, never held. Each accepted body gets a buffer of its
//!   own, freed once it is parsed; a body whose parse would take more than
//!   four times the limit (small objects cost some eighty times their text)
//!   is refused unparsed. An escaped UTF-16 surrogate that is not half of a
//!   pair becomes U+FFFD. Anything malformed gets its JSON-RPC error (with
//!   id `null` unless an id could be read), and reading goes on; a broken
//!   header block is followed by a search for the next `Content-Length`
//!   header.
//! - Order: each request or notification is handed to the service and
//!   polled once as soon as it is read, before the next one is looked at.
//!   The server's handlers do their work synchronously before their first
//!   `.await`, so a request is answered against the documents as they stood
//!   when it arrived, and notifications apply in arrival order. What is
//!   still pending after that poll (a request waiting for the client) runs
//!   on beside the reading, with no limit on how many.
//! - Writing (a thread of its own): responses, and the requests and
//!   notifications the server sends to the client, each written whole, so
//!   frames never interleave.
//! - Life cycle: `exit` ends the process at once, whatever is pending, with
//!   0 after a successful `shutdown` and 1 otherwise; the end of the input
//!   is an `exit`.
//!
//! Nothing here knows what the messages mean beyond `shutdown` and `exit`.

use futures::stream::FuturesUnordered;
use futures::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use std::borrow::Cow;
use std::io::{self, BufRead, Read, Write};
use std::task::Poll;
use std::time::Duration;
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp_server::{ClientSocket, ExitedError};

/// The default of `pyasm lsp --max-message-size`: far more than any
/// document a person edits, far less than what would exhaust memory.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 64 << 20;

/// A header line longer than this is not a header.
const MAX_HEADER_LINE: usize = 4096;

/// A parsed message may take this many times the size limit in memory,
/// plus [`PARSE_BUDGET_FLOOR`].
const PARSE_BUDGET_FACTOR: u64 = 4;
const PARSE_BUDGET_FLOOR: u64 = 16 << 20;

/// What one JSON value costs once parsed into a `serde_json::Value`, about:
/// the value, and the room a growing array leaves.
const VALUE_COST: u64 = 64;
/// What one object costs beyond that: its map's first node (a `BTreeMap`
/// node holds eleven entries whether it has one or eleven).
const OBJECT_COST: u64 = 640;

/// How long `exit` waits for what is already written to reach the client.
const FLUSH_TIMEOUT: Duration = Duration::from_millis(500);

/// What the reader hands the loop.
#[derive(Debug)]
pub enum Incoming {
    /// A request or a notification from the client.
    Request(Request),
    /// The client's answer to one of the server's requests.
    Response(Response),
    /// The error a frame that could not be used gets.
    Refused(Response),
    /// The input has ended (or can no longer be read).
    End,
}

/// One frame read off the input.
#[derive(Debug, PartialEq)]
enum Frame {
    Body(Vec<u8>),
    Refused(Error),
    End,
}

/// Reads frames (`Content-Length: N`, other headers, a blank line, N bytes
/// of body) from a byte stream, and finds its way back to the next frame
/// after anything it cannot read.
pub struct FrameReader<R> {
    input: R,
    max_message_size: u64,
    /// Body bytes still to be thrown away (of a refused message).
    skip: u64,
    /// After a broken header block: the bytes of the line it broke on (a
    /// `Content-Length` may start inside it) and whether that line was read
    /// to its end; the next frame starts at the next `Content-Length`.
    resync: Option<(Vec<u8>, bool)>,
}

/// The header name searched for after a broken header block.
const CONTENT_LENGTH: &[u8] = b"content-length";

enum Line {
    /// A whole line, without its line ending.
    Whole,
    /// The first [`MAX_HEADER_LINE`] bytes of a longer line.
    TooLong,
    End,
}

fn parse_error(message: impl Into<Cow<'static, str>>) -> Error {
    Error {
        code: ErrorCode::ParseError,
        message: message.into(),
        data: None,
    }
}

fn invalid_request(message: impl Into<Cow<'static, str>>) -> Error {
    Error {
        code: ErrorCode::InvalidRequest,
        message: message.into(),
        data: None,
    }
}

/// An HTTP token character (RFC 9110's `tchar`): what a header name is
/// made of.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether a `Content-Type` value names no charset or UTF-8 (in any of its
/// spellings).
fn charset_is_utf8(content_type: &[u8]) -> bool {
    let text = String::from_utf8_lossy(content_type);
    text.split(';').skip(1).all(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return true;
        };
        if !name.trim().eq_ignore_ascii_case("charset") {
            return true;
        }
        let value = value.trim().trim_matches('"');
        value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8")
    })
}

impl<R: BufRead> FrameReader<R> {
    pub fn new(input: R, max_message_size: u64) -> Self {
        FrameReader {
            input,
            max_message_size,
            skip: 0,
            resync: None,
        }
    }

    /// Reads one line into `line` (cleared first), without its `\n` or
    /// `\r\n`, keeping at most [`MAX_HEADER_LINE`] bytes of it.
    fn read_line(&mut self, line: &mut Vec<u8>) -> io::Result<Line> {
        line.clear();
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(Line::End);
            }
            let room = MAX_HEADER_LINE - line.len();
            match buf.iter().take(room + 1).position(|&b| b == b'\n') {
                Some(i) => {
                    line.extend_from_slice(&buf[..i]);
                    self.input.consume(i + 1);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return Ok(Line::Whole);
                }
                None if buf.len() > room => {
                    line.extend_from_slice(&buf[..room]);
                    self.input.consume(room);
                    return Ok(Line::TooLong);
                }
                None => {
                    let n = buf.len();
                    line.extend_from_slice(buf);
                    self.input.consume(n);
                }
            }
        }
    }

    /// Throws away what is left of a refused message's body.
    fn skip_body(&mut self) -> io::Result<bool> {
        while self.skip > 0 {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let n = buf
                .len()
                .min(usize::try_from(self.skip).unwrap_or(usize::MAX));
            self.input.consume(n);
            self.skip -= n as u64;
        }
        Ok(true)
    }

    /// Finds the next `Content-Length` (in any case), in the bytes of the
    /// line a header block broke on (past its first byte, so that the same
    /// line is never taken again) and then in the input, and returns the
    /// header line that starts there; `None` at the end of the input.
    fn find_next_header(&mut self, carried: &[u8], whole: bool) -> io::Result<Option<Vec<u8>>> {
        let step = |matched: usize, b: u8| {
            if b.eq_ignore_ascii_case(&CONTENT_LENGTH[matched]) {
                matched + 1
            } else {
                // No proper prefix of the name recurs inside it, so a
                // mismatch can only restart the search at this byte.
                usize::from(b.eq_ignore_ascii_case(&CONTENT_LENGTH[0]))
            }
        };
        let mut matched = 0;
        for (i, &b) in carried.iter().enumerate().skip(1) {
            matched = step(matched, b);
            if matched == CONTENT_LENGTH.len() {
                let mut line = CONTENT_LENGTH.to_vec();
                line.extend_from_slice(&carried[i + 1..]);
                if !whole {
                    self.read_rest_of_line(&mut line)?;
                }
                return Ok(Some(line));
            }
        }
        if whole {
            matched = 0;
        }
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut found = None;
            for (i, &b) in buf.iter().enumerate() {
                matched = step(matched, b);
                if matched == CONTENT_LENGTH.len() {
                    found = Some(i + 1);
                    break;
                }
            }
            match found {
                Some(n) => {
                    self.input.consume(n);
                    let mut line = CONTENT_LENGTH.to_vec();
                    self.read_rest_of_line(&mut line)?;
                    return Ok(Some(line));
                }
                None => {
                    let n = buf.len();
                    self.input.consume(n);
                }
            }
        }
    }

    /// Appends the rest of the current line to `line` (what does not fit in
    /// a header line is dropped, and the line is then not a header).
    fn read_rest_of_line(&mut self, line: &mut Vec<u8>) -> io::Result<()> {
        let mut rest = Vec::new();
        match self.read_line(&mut rest)? {
            Line::TooLong => {
                // Too long to be a header: keep a byte that no header
                // name or length has, and drop the rest of the line.
                line.push(0);
                while let Line::TooLong = self.read_line(&mut rest)? {}
            }
            Line::Whole | Line::End => line.extend_from_slice(&rest),
        }
        Ok(())
    }

    /// The next frame: a body to parse, an error to send back, or the end.
    fn next_frame(&mut self) -> io::Result<Frame> {
        if !self.skip_body()? {
            return Ok(Frame::End);
        }
        let mut first = None;
        if let Some((carried, whole)) = self.resync.take() {
            match self.find_next_header(&carried, whole)? {
                Some(line) => first = Some(line),
                None => return Ok(Frame::End),
            }
        }
        let mut length: Option<Result<u64, ()>> = None;
        let mut utf8 = true;
        let mut any = false;
        let mut line = Vec::new();
        loop {
            let read = match first.take() {
                Some(found) => {
                    line = found;
                    Line::Whole
                }
                None => self.read_line(&mut line)?,
            };
            match read {
                Line::End => return Ok(Frame::End),
                Line::TooLong => {
                    self.resync = Some((std::mem::take(&mut line), false));
                    return Ok(Frame::Refused(parse_error(
                        "a header line is too long; skipped to the next Content-Length",
                    )));
                }
                Line::Whole if line.is_empty() => {
                    if any {
                        break;
                    }
                    // Blank lines between messages are harmless.
                    continue;
                }
                Line::Whole => {}
            }
            any = true;
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                self.resync = Some((std::mem::take(&mut line), true));
                return Ok(Frame::Refused(parse_error(
                    "a header line has no `:`; skipped to the next Content-Length",
                )));
            };
            let name = line[..colon].trim_ascii();
            if name.is_empty() || !name.iter().all(|&b| is_token_char(b)) {
                self.resync = Some((std::mem::take(&mut line), true));
                return Ok(Frame::Refused(parse_error(
                    "a header name is malformed; skipped to the next Content-Length",
                )));
            }
            let value = line[colon + 1..].trim_ascii();
            if name.eq_ignore_ascii_case(b"content-length") {
                let parsed = std::str::from_utf8(value)
                    .ok()
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or(());
                length = match (length, parsed) {
                    (None, n) => Some(n),
                    (Some(Ok(a)), Ok(b)) if a == b => Some(Ok(a)),
                    _ => Some(Err(())),
                };
            } else if name.eq_ignore_ascii_case(b"content-type") {
                utf8 &= charset_is_utf8(value);
            }
        }
        let Some(Ok(len)) = length else {
            self.resync = Some((Vec::new(), true));
            let why = if length.is_none() {
                "a message has no Content-Length header"
            } else {
                "a message's Content-Length is not one number of bytes"
            };
            return Ok(Frame::Refused(parse_error(format!(
                "{why}; skipped to the next Content-Length"
            ))));
        };
        if len > self.max_message_size {
            self.skip = len;
            return Ok(Frame::Refused(invalid_request(format!(
                "a message of {len} bytes is over the limit of {} bytes (pyasm lsp \
                 --max-message-size); it was skipped unread",
                self.max_message_size
            ))));
        }
        if !utf8 {
            self.skip = len;
            return Ok(Frame::Refused(invalid_request(
                "a message's Content-Type names a charset other than UTF-8; it was skipped unread",
            )));
        }
        let mut body = Vec::new();
        let room = usize::try_from(len).map(|n| body.try_reserve_exact(n));
        let (Ok(len), Ok(Ok(()))) = (usize::try_from(len), room) else {
            // A limit set higher than this machine can hold.
            self.skip = len;
            return Ok(Frame::Refused(invalid_request(format!(
                "no memory for a message of {len} bytes; it was skipped unread"
            ))));
        };
        let read = (&mut self.input).take(len as u64).read_to_end(&mut body)?;
        if read < len {
            return Ok(Frame::End);
        }
        Ok(Frame::Body(body))
    }

    /// How much memory one message may take once parsed (see
    /// [`prepare`]).
    fn parse_budget(&self) -> u64 {
        self.max_message_size
            .saturating_mul(PARSE_BUDGET_FACTOR)
            .saturating_add(PARSE_BUDGET_FLOOR)
    }

    /// The next message, or error to send back, or the end of the input.
    pub fn next_message(&mut self) -> Incoming {
        match self.next_frame() {
            Ok(Frame::Body(body)) => {
                // A bug in reading one message costs that message only.
                let budget = self.parse_budget();
                std::panic::catch_unwind(move || decode(body, budget)).unwrap_or_else(|_| {
                    refused(None, parse_error("pyasm: internal error reading a message"))
                })
            }
            Ok(Frame::Refused(e)) => refused(None, e),
            Ok(Frame::End) => Incoming::End,
            Err(e) => {
                eprintln!("pyasm lsp: cannot read the input: {e}");
                Incoming::End
            }
        }
    }
}

fn refused(id: Option<Id>, e: Error) -> Incoming {
    eprintln!("pyasm lsp: refused a message: {}", e.message);
    Incoming::Refused(Response::from_error(id.unwrap_or(Id::Null), e))
}

/// Steps over the escape at `body[at]` (a backslash inside a string) and
/// returns where the string goes on. A `\uXXXX` escape of a UTF-16
/// surrogate that is not half of a pair is rewritten as `\ufffd`, in
/// place: JSON from a JavaScript client can carry one (a JavaScript string
/// may hold half a pair), and serde_json refuses it; U+FFFD is one UTF-16
/// code unit too, so the positions a client computes past it still point
/// where it means.
fn step_over_escape(body: &mut [u8], at: usize) -> usize {
    fn unit(body: &[u8], at: usize) -> Option<u16> {
        let hex = body.get(at..at + 4)?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    }
    let escape_at = |body: &[u8], at: usize| -> Option<u16> {
        (body.get(at) == Some(&b'\\') && body.get(at + 1) == Some(&b'u'))
            .then(|| unit(body, at + 2))
            .flatten()
    };
    // `\X`, or `\uXXXX` (then the four digits are stepped over too).
    let Some(u) = escape_at(body, at) else {
        return at + 2;
    };
    let lone = match u {
        0xD800..=0xDBFF => match escape_at(body, at + 6) {
            Some(0xDC00..=0xDFFF) => return at + 12,
            _ => true,
        },
        0xDC00..=0xDFFF => true,
        _ => false,
    };
    if lone {
        body[at + 2..at + 6].copy_from_slice(b"fffd");
    }
    at + 6
}

/// A JSON-RPC id: an integer or a string (or `null`).
fn id_of(v: Value) -> Option<Id> {
    match v {
        Value::Number(n) => n.as_i64().map(Id::Number),
        Value::String(s) => Some(Id::String(s)),
        Value::Null => Some(Id::Null),
        _ => None,
    }
}

/// One pass over a body before it is parsed: rewrites its lone surrogate
/// escapes (see [`step_over_escape`]) and returns about how many bytes
/// parsing it into a `serde_json::Value` takes: a value costs
/// [`VALUE_COST`] and an object [`OBJECT_COST`] more, where its text may be
/// as short as two bytes. (50 MB of `{"a":0},` took 4 GB.)
fn prepare(body: &mut [u8]) -> u64 {
    let (mut values, mut objects) = (1u64, 0u64);
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                // To the closing quote, past escapes.
                i += 1;
                let stop = |rest: &[u8]| rest.iter().position(|&b| b == b'"' || b == b'\\');
                while let Some(off) = body.get(i..).and_then(stop) {
                    i += off;
                    if body[i] == b'"' {
                        break;
                    }
                    i = step_over_escape(body, i);
                }
            }
            b',' | b':' | b'[' => values += 1,
            b'{' => objects += 1,
            _ => {}
        }
        i += 1;
    }
    values
        .saturating_mul(VALUE_COST)
        .saturating_add(objects.saturating_mul(OBJECT_COST))
}

/// The id of a message, read without building anything else of it.
fn id_only(body: &[u8]) -> Option<Id> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<Value>,
    }
    serde_json::from_slice::<IdOnly>(body)
        .ok()
        .and_then(|m| m.id)
        .and_then(id_of)
}

/// Parses a body into a message, or the error it gets; a message whose
/// parse would take more than `budget` bytes is refused unparsed.
fn decode(mut body: Vec<u8>, budget: u64) -> Incoming {
    if body.is_empty() {
        return refused(None, parse_error("a message is empty (Content-Length: 0)"));
    }
    let cost = prepare(&mut body);
    if cost > budget {
        return refused(
            id_only(&body),
            invalid_request(format!(
                "a message of {} bytes would take about {cost} bytes of memory to read, \
                 over the limit of {budget} (pyasm lsp --max-message-size times \
                 {PARSE_BUDGET_FACTOR}, plus {PARSE_BUDGET_FLOOR})",
                body.len()
            )),
        );
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return refused(None, parse_error(format!("a message is not JSON: {e}"))),
    };
    drop(body);
    let Value::Object(mut obj) = value else {
        return refused(None, invalid_request("a message is not a JSON object"));
    };
    let id = match obj.remove("id").map(id_of) {
        None => None,
        Some(Some(id)) => Some(id),
        Some(None) => {
            return refused(
                None,
                invalid_request("a message's id is neither an integer nor a string"),
            )
        }
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return refused(id, invalid_request("a message is not JSON-RPC 2.0"));
    }
    match obj.remove("method") {
        Some(Value::String(method)) => {
            let mut request = Request::build(method);
            if let Some(params) = obj.remove("params") {
                request = request.params(params);
            }
            if let Some(id) = id {
                request = request.id(id);
            }
            Incoming::Request(request.finish())
        }
        Some(_) => refused(id, invalid_request("a message's method is not a string")),
        None => {
            let (Some(id), result, error) = (id, obj.remove("result"), obj.remove("error")) else {
                return refused(None, invalid_request("a message has no method and no id"));
            };
            match (result, error) {
                (Some(result), None) => Incoming::Response(Response::from_ok(id, result)),
                (None, Some(error)) => match serde_json::from_value::<Error>(error) {
                    Ok(error) => Incoming::Response(Response::from_error(id, error)),
                    Err(_) => refused(Some(id), invalid_request("a response's error is malformed")),
                },
                _ => refused(
                    Some(id),
                    invalid_request("a message has no method, and is not a response either"),
                ),
            }
        }
    }
}

/// What goes to the client.
enum Outgoing {
    Response(Response),
    Request(Request),
}

/// Writes every message to stdout, one whole frame at a time, until the
/// loop lets go of its end of the channel; then says so on `done`. Stdout
/// is locked for each frame, not for good: a stray print elsewhere would
/// be a bug, but it must not hang the server.
fn write_messages(
    mut rx: tokio::sync::mpsc::Receiver<Outgoing>,
    done: std::sync::mpsc::Sender<()>,
) {
    let stdout = io::stdout();
    let mut broken = false;
    while let Some(msg) = rx.blocking_recv() {
        if broken {
            // The client no longer reads; drop what is left, so that
            // nothing waits on us.
            continue;
        }
        let body = match &msg {
            Outgoing::Response(r) => serde_json::to_vec(r),
            Outgoing::Request(r) => serde_json::to_vec(r),
        };
        drop(msg);
        let Ok(body) = body else { continue };
        let mut out = stdout.lock();
        let written = write!(out, "Content-Length: {}\r\n\r\n", body.len())
            .and_then(|()| out.write_all(&body))
            .and_then(|()| if rx.is_empty() { out.flush() } else { Ok(()) });
        if let Err(e) = written {
            eprintln!("pyasm lsp: cannot write to the client: {e}");
            broken = true;
        }
    }
    let _ = stdout.lock().flush();
    let _ = done.send(());
}

/// The size limit of one message (`pyasm lsp --max-message-size`).
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub max_message_size: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

/// Serves `service` on stdin and stdout until `exit` or the end of the
/// input, and returns the exit status the protocol asks for, once what was
/// written has been flushed (or `FLUSH_TIMEOUT` has passed). Whatever is
/// still pending is abandoned: the caller ends the process.
pub async fn serve<S>(mut service: S, socket: ClientSocket, options: Options) -> i32
where
    S: Service<Request, Response = Option<Response>, Error = ExitedError>,
    S::Future: Unpin,
{
    let (mut to_client, mut client_answers) = socket.split();
    let (in_tx, mut inbox) = tokio::sync::mpsc::channel::<Incoming>(2);
    let (out_tx, out_rx) = tokio::sync::mpsc::channel::<Outgoing>(64);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let max = options.max_message_size;
    let spawned = std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut reader = FrameReader::new(stdin.lock(), max);
            loop {
                let msg = reader.next_message();
                let end = matches!(msg, Incoming::End);
                if in_tx.blocking_send(msg).is_err() || end {
                    return;
                }
            }
        })
        .and_then(|_| {
            std::thread::Builder::new()
                .name("lsp-writer".into())
                .spawn(move || write_messages(out_rx, done_tx))
        });
    if let Err(e) = spawned {
        eprintln!("pyasm lsp: cannot start: {e}");
        return 2;
    }

    // Each entry: whether it answers `shutdown`, and the service's answer.
    let mut pending = FuturesUnordered::new();
    let mut shut_down = false;
    let mut answer = |is_shutdown: bool, r: Result<Option<Response>, _>| match r {
        Ok(Some(resp)) => {
            shut_down |= is_shutdown && resp.is_ok();
            Some(Outgoing::Response(resp))
        }
        _ => None,
    };
    loop {
        let out = tokio::select! {
            biased;
            Some(req) = to_client.next() => Some(Outgoing::Request(req)),
            Some((is_shutdown, r)) = pending.next(), if !pending.is_empty() => {
                answer(is_shutdown, r)
            }
            msg = inbox.recv() => match msg.unwrap_or(Incoming::End) {
                Incoming::End => break,
                Incoming::Refused(resp) => Some(Outgoing::Response(resp)),
                Incoming::Response(resp) => {
                    let _ = client_answers.send(resp).await;
                    None
                }
                Incoming::Request(req) if req.method() == "exit" => break,
                Incoming::Request(req) => {
                    let is_shutdown = req.method() == "shutdown";
                    if futures::future::poll_fn(|cx| service.poll_ready(cx)).await.is_err() {
                        break;
                    }
                    let mut fut = service.call(req);
                    // The first poll, now: the handler's synchronous part
                    // runs before the next message is read.
                    let first = std::future::poll_fn(|cx| Poll::Ready(fut.poll_unpin(cx))).await;
                    match first {
                        Poll::Ready(r) => answer(is_shutdown, r),
                        Poll::Pending => {
                            pending.push(fut.map(move |r| (is_shutdown, r)));
                            None
                        }
                    }
                }
            },
        };
        if let Some(out) = out {
            if out_tx.send(out).await.is_err() {
                break;
            }
        }
    }

    // What is ready now still goes out; nothing is waited for.
    loop {
        let mut progress = false;
        while let Some(Some(req)) = to_client.next().now_or_never() {
            let _ = out_tx.try_send(Outgoing::Request(req));
            progress = true;
        }
        while let Some(Some((is_shutdown, r))) = pending.next().now_or_never() {
            if let Some(out) = answer(is_shutdown, r) {
                let _ = out_tx.try_send(out);
            }
            progress = true;
        }
        if !progress {
            break;
        }
    }
    drop(out_tx);
    let _ = done_rx.recv_timeout(FLUSH_TIMEOUT);
    if shut_down {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: u64) -> Vec<Frame> {
        let mut r = FrameReader::new(input, max);
        let mut out = Vec::new();
        loop {
            let f = r.next_frame().unwrap();
            if f == Frame::End {
                return out;
            }
            out.push(f);
        }
    }

    fn codes(fs: &[Frame]) -> Vec<String> {
        fs.iter()
            .map(|f| match f {
                Frame::Body(b) => String::from_utf8_lossy(b).into_owned(),
                Frame::Refused(e) => e.code.code().to_string(),
                Frame::End => "end".into(),
            })
            .collect()
    }

    #[test]
    fn headers_in_any_case_and_unknown_ones() {
        let input = b"content-LENGTH: 2\r\nX-Other: 1\r\nContent-Type: application/x; charset=UTF8\r\n\r\n{}\
                      Content-Length: 3\r\n\r\n[1]";
        assert_eq!(codes(&frames(input, 100)), ["{}", "[1]"]);
    }

    #[test]
    fn other_charsets_are_refused_and_skipped() {
        let input = b"Content-Type: text/x; charset=latin1\r\nContent-Length: 2\r\n\r\n{}\
                      Content-Length: 2\r\n\r\n[]";
        assert_eq!(codes(&frames(input, 100)), ["-32600", "[]"]);
    }

    #[test]
    fn oversized_bodies_are_skipped_exactly() {
        let mut input = b"Content-Length: 300\r\n\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 300));
        input.extend(b"Content-Length: 2\r\n\r\n{}");
        assert_eq!(codes(&frames(&input, 100)), ["-32600", "{}"]);
    }

    #[test]
    fn broken_header_blocks_resynchronise() {
        // No length; a garbage line that runs into the next header; a line
        // longer than any header; a length that is not a number.
        let mut input = b"Content-Lenght: 2\r\n\r\n{}Content-Length: 2\r\n\r\n[]".to_vec();
        input.extend(b"garbage\r\nCONTENT-length: 1\r\n\r\n1");
        input.extend(std::iter::repeat_n(b'y', 10_000));
        input.extend(b"Content-Length: 1\r\n\r\n2");
        input.extend(b"Content-Length: -4\r\n\r\nxxxxContent-Length: 1\r\n\r\n3");
        assert_eq!(
            codes(&frames(&input, 100)),
            ["-32700", "[]", "-32700", "1", "-32700", "2", "-32700", "3"]
        );
    }

    #[test]
    fn a_header_without_colon_is_not_taken_twice() {
        let input = b"content-length 5\r\n\r\nContent-Length: 1\r\n\r\n7";
        assert_eq!(codes(&frames(input, 100)), ["-32700", "7"]);
    }

    /// What `decode` makes of a body: the method of a request, `answer` for
    /// a response, or the error code and id of a refusal.
    fn decoded(body: &str) -> String {
        match decode(body.as_bytes().to_vec(), 1 << 20) {
            Incoming::Request(r) => format!("{} {:?}", r.method(), r.id()),
            Incoming::Response(r) => format!("answer {}", r.id()),
            Incoming::Refused(r) => format!("{} {}", r.error().unwrap().code.code(), r.id()),
            Incoming::End => "end".into(),
        }
    }

    #[test]
    fn what_is_not_a_request_is_refused_with_the_id_it_has() {
        let cases = [
            (
                r#"{"jsonrpc":"2.0","id":3,"method":"m"}"#,
                "m Some(Number(3))",
            ),
            (
                r#"{"jsonrpc":"2.0","id":"x","method":"m"}"#,
                "m Some(String(\"x\"))",
            ),
            (r#"{"jsonrpc":"2.0","method":"m","params":null}"#, "m None"),
            (r#"{"jsonrpc":"2.0","id":4,"result":null}"#, "answer 4"),
            (
                r#"{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"no"}}"#,
                "answer 4",
            ),
            (r#"{"jsonrpc":"1.0","id":5,"method":"m"}"#, "-32600 5"),
            (r#"{"id":5,"method":"m"}"#, "-32600 5"),
            (r#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#, "-32600 null"),
            (r#"{"jsonrpc":"2.0","id":true,"method":"m"}"#, "-32600 null"),
            (r#"{"jsonrpc":"2.0","id":6,"method":7}"#, "-32600 6"),
            (r#"{"jsonrpc":"2.0","id":7}"#, "-32600 7"),
            (r#"{"jsonrpc":"2.0","id":8,"error":"no"}"#, "-32600 8"),
            (r#"{"jsonrpc":"2.0"}"#, "-32600 null"),
            (r#"[{"jsonrpc":"2.0","method":"m"}]"#, "-32600 null"),
            (r#"{"jsonrpc":"2.0","#, "-32700 null"),
            ("", "-32700 null"),
        ];
        for (body, expected) in cases {
            assert_eq!(decoded(body), expected, "{body}");
        }
        // Over the budget: refused unparsed, with its id.
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":9,"method":"m","params":[{}0]}}"#,
            "0,".repeat(1 << 16)
        );
        assert!(
            matches!(decode(big.into_bytes(), 1 << 20), Incoming::Refused(r) if r.id() == &Id::Number(9))
        );
    }

    fn parse_cost(body: &[u8]) -> u64 {
        prepare(&mut body.to_vec())
    }

    #[test]
    fn parse_cost_counts_values_and_objects_outside_strings() {
        let one = parse_cost(b"0");
        assert_eq!(one, VALUE_COST);
        assert_eq!(parse_cost(b"[0,0,0]"), 4 * VALUE_COST);
        assert_eq!(parse_cost(br#"{"a":0}"#), 2 * VALUE_COST + OBJECT_COST);
        assert_eq!(parse_cost(br#""{[,:]} \" ,,""#), VALUE_COST);
        // Unfinished strings and escapes end the scan, nothing worse.
        assert_eq!(parse_cost(br#"[",\"#), 2 * VALUE_COST);
    }

    proptest::proptest! {
        // Failures are kept as unit tests here, not as files.
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Any bytes, made mostly of pieces of frames: every message is
        /// read, refused or the end, and nothing panics or loops.
        #[test]
        fn any_input_is_read_to_its_end(pieces in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b"Content-Length: 2\r\n".to_vec()),
                proptest::strategy::Just(b"content-length:1\n".to_vec()),
                proptest::strategy::Just(b"Content-Type: a; charset=x\r\n".to_vec()),
                proptest::strategy::Just(b"\r\n".to_vec()),
                proptest::strategy::Just(br#"{"jsonrpc":"2.0","id":1,"method":"m"}"#.to_vec()),
                proptest::strategy::Just(br#""\ud800\"#.to_vec()),
                proptest::collection::vec(proptest::num::u8::ANY, 0..8),
            ],
            0..40,
        )) {
            let input = pieces.concat();
            let mut r = FrameReader::new(input.as_slice(), 64);
            let mut n = 0;
            while !matches!(r.next_message(), Incoming::End) {
                n += 1;
                proptest::prop_assert!(n <= input.len() + 1, "more messages than bytes");
            }
        }
    }

    #[test]
    fn a_body_cut_inside_an_escape_is_left_to_the_parser() {
        for body in [&b"\"\\"[..], b"\"\\u", b"\"\\ud8", b"\"\\ud800\\"] {
            let mut cut = body.to_vec();
            prepare(&mut cut);
            assert!(cut.len() == body.len() && serde_json::from_slice::<Value>(&cut).is_err());
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let mut body =
            br#"["\ud800", "\udc00x", "\ud83d\ude00", "\\ud800", "\ud800\u0041"]"#.to_vec();
        prepare(&mut body);
        let v: Vec<String> = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            ["\u{fffd}", "\u{fffd}x", "\u{1f600}", "\\ud800", "\u{fffd}A"]
        );
    }
}
