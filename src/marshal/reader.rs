//! Marshal bytes to objects: the mirror image of `writer.rs`.
//!
//! Input is untrusted. Nothing here may panic, overflow the stack, or
//! allocate more than the input can justify; every failure is a
//! [`MarshalError`] naming the byte where it happened.
//!
//! No recursion. Containers nest up to [`MAX_DEPTH`] levels, as in CPython,
//! but a recursive reader needs a kilobyte or more of machine stack per level
//! (several for code objects, in a debug build), which is more than a 2 MB
//! thread has for 2000 levels. So the containers being read live on a stack
//! of [`Frame`]s on the heap: each per-type function either returns a
//! finished object or opens a frame, and `read_object` feeds finished objects
//! to the innermost open frame until the outermost one is done.
//!
//! Back-references. CPython shares one object between every `REF` to it, and
//! a container remembered with `FLAG_REF` can even refer to itself. The object
//! model here is a tree, so a `REF` becomes a copy, and a reference to a
//! container that is still being read (which would need a cycle) is refused.
//! Copies are made by reading the remembered object's bytes a second time
//! rather than by cloning it: nothing has to be kept per slot but its start,
//! and the copy is subject to the same depth limit and the same budget of
//! objects and payload bytes as everything else, which is what stops a few
//! bytes of nested references from describing an exponentially large tree.

use super::{
    code_fields, type_code as tc, CodeField, MarshalError, MAX_DEPTH, MAX_OBJECTS,
    MAX_PAYLOAD_BYTES,
};
use crate::code::{Code, Obj, PyStr, SplitVars};
use crate::versions::Version;
use num_bigint::{BigInt, BigUint, Sign};

type Result<T> = std::result::Result<T, MarshalError>;

/// One entry of the back-reference table.
#[derive(Clone, Copy)]
enum Slot {
    /// Reserved when the type byte was read; the object (a container or code
    /// object, since nothing else has contents) is not finished yet.
    Pending,
    /// Finished; its bytes start (with the type byte) at this offset.
    Done(usize),
}

/// A container whose contents are still being read.
struct Frame {
    /// Offset of its type byte.
    start: usize,
    /// Its entry in the back-reference table, when it has one.
    slot: Option<usize>,
    open: Open,
}

#[derive(Clone, Copy)]
enum ItemsOf {
    Tuple,
    List,
    Set,
    FrozenSet,
    Slice,
}

enum Open {
    /// A container of `left` more items (a slice is one of three).
    Items {
        of: ItemsOf,
        items: Vec<Obj>,
        left: usize,
    },
    /// A dict (or a 3.15 frozendict); `key` holds a key whose value comes
    /// next.
    Dict {
        frozen: bool,
        pairs: Vec<(Obj, Obj)>,
        key: Option<Obj>,
    },
    /// A code object with its fields before `fields[next]` filled in.
    Code {
        code: Box<Code>,
        fields: &'static [CodeField],
        next: usize,
    },
    /// A back-reference being expanded: the remembered object's bytes are
    /// being read again, after which reading resumes at `resume`.
    Copy {
        index: i32,
        target: usize,
        resume: usize,
        was_replaying: bool,
        copy: Option<Obj>,
    },
}

/// What reading a type byte and what follows it gave.
enum Step {
    /// A whole object, with the offset of its first byte.
    Done(Obj, usize),
    /// A container whose items come next.
    Opened(Frame),
}

/// Reads objects from a byte slice. Successive `read_object` calls share one
/// back-reference table. After an error the reader is spent: its position
/// and table no longer mean anything.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    version: Version,
    /// Containers open around the current position, innermost last.
    stack: Vec<Frame>,
    /// How many of `stack` are real containers rather than copies.
    depth: usize,
    refs: Vec<Slot>,
    /// True while a back-reference is being expanded by reading its bytes
    /// again: its `FLAG_REF` objects already have their slots.
    replaying: bool,
    objects: u64,
    payload: u64,
}

/// Objects that `FLAG_REF` puts in the table. The singletons never are, even
/// with the flag set, and a `REF` is not an object of its own.
fn is_remembered(code: u8) -> bool {
    !matches!(
        code,
        tc::NULL | tc::NONE | tc::FALSE | tc::TRUE | tc::STOPITER | tc::ELLIPSIS | tc::REF
    )
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], version: Version) -> Self {
        Reader {
            data,
            pos: 0,
            version,
            stack: Vec::new(),
            depth: 0,
            refs: Vec::new(),
            replaying: false,
            objects: 0,
            payload: 0,
        }
    }

    /// Offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    // ----- primitive fields -------------------------------------------------

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let start = self.pos;
        if n > self.remaining() {
            return Err(MarshalError::new(
                start,
                format!(
                    "expected {n} byte{} of {what}, but the data ends after {}",
                    if n == 1 { "" } else { "s" },
                    self.remaining()
                ),
            ));
        }
        self.pos += n;
        Ok(&self.data[start..start + n])
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn i32(&mut self, what: &str) -> Result<i32> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Checks a count read at `at` against the bytes left: every item needs
    /// at least `min_each` of them. This is what keeps a length field that
    /// claims gigabytes from reaching an allocation.
    fn check_count(&self, at: usize, n: usize, min_each: usize, what: &str) -> Result<usize> {
        let left = self.remaining();
        if n.saturating_mul(min_each) > left {
            return Err(MarshalError::new(
                at,
                format!("expected a {what} that the {left} remaining bytes can hold, found {n}"),
            ));
        }
        Ok(n)
    }

    /// A 32-bit count (a length or a number of items).
    fn count(&mut self, what: &str, min_each: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.i32(what)?;
        if n < 0 {
            return Err(MarshalError::new(
                at,
                format!("expected a non-negative {what}, found {n}"),
            ));
        }
        self.check_count(at, n as usize, min_each, what)
    }

    /// A one-byte count, as the short forms use.
    fn short_count(&mut self, what: &str, min_each: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.u8(what)? as usize;
        self.check_count(at, n, min_each, what)
    }

    fn charge_object(&mut self, at: usize) -> Result<()> {
        self.objects += 1;
        if self.objects > MAX_OBJECTS {
            return Err(MarshalError::new(
                at,
                format!(
                    "expected at most {MAX_OBJECTS} objects, copies for back-references \
                     included, but the data describes more"
                ),
            ));
        }
        Ok(())
    }

    fn charge_payload(&mut self, at: usize, n: usize) -> Result<()> {
        self.payload += n as u64;
        if self.payload > MAX_PAYLOAD_BYTES {
            return Err(MarshalError::new(
                at,
                format!(
                    "expected at most {MAX_PAYLOAD_BYTES} bytes of str, bytes and int data, \
                     copies for back-references included, but the data describes more"
                ),
            ));
        }
        Ok(())
    }

    // ----- the driver ---------------------------------------------------------

    /// Reads one object, with everything it contains.
    pub fn read_object(&mut self) -> Result<Obj> {
        self.stack.clear();
        self.depth = 0;
        self.replaying = false;
        let result = self.drive();
        if let Err(e) = result {
            let e = self.blame_copy(e);
            self.stack.clear();
            return Err(e);
        }
        result
    }

    fn drive(&mut self) -> Result<Obj> {
        let mut step = self.begin_object()?;
        loop {
            step = match step {
                Step::Done(obj, at) => match self.stack.pop() {
                    None => return Ok(obj),
                    Some(mut frame) => {
                        self.accept(&mut frame, obj, at)?;
                        self.advance(frame)?
                    }
                },
                Step::Opened(frame) => self.advance(frame)?,
            };
        }
    }

    /// Finishes `frame` if it has all its items, or else puts it back on the
    /// stack and starts on its next item.
    fn advance(&mut self, mut frame: Frame) -> Result<Step> {
        if self.is_complete(&mut frame) {
            self.finish(frame)
        } else {
            self.stack.push(frame);
            self.begin_object()
        }
    }

    /// Reads a type byte and whatever of the object can be read before its
    /// items.
    fn begin_object(&mut self) -> Result<Step> {
        let start = self.pos;
        let Some(&byte) = self.data.get(start) else {
            return Err(MarshalError::new(
                start,
                "expected an object, but the data ends here",
            ));
        };
        self.pos += 1;
        let code = byte & !tc::FLAG_REF;
        if code != tc::REF {
            if self.depth >= MAX_DEPTH {
                return Err(MarshalError::new(
                    start,
                    format!(
                        "expected objects nested at most {MAX_DEPTH} levels deep, found deeper"
                    ),
                ));
            }
            self.charge_object(start)?;
        }
        let slot = if byte & tc::FLAG_REF != 0 && is_remembered(code) && !self.replaying {
            self.refs.push(Slot::Pending);
            Some(self.refs.len() - 1)
        } else {
            None
        };
        let step = match code {
            tc::NULL => self.read_null(),
            tc::NONE => Ok(Step::Done(Obj::None, start)),
            tc::FALSE => Ok(Step::Done(Obj::False, start)),
            tc::TRUE => Ok(Step::Done(Obj::True, start)),
            tc::STOPITER => Ok(Step::Done(Obj::StopIteration, start)),
            tc::ELLIPSIS => Ok(Step::Done(Obj::Ellipsis, start)),
            tc::INT => self.read_int(),
            tc::INT64 => self.read_int64(),
            tc::FLOAT => self.read_float(),
            tc::BINARY_FLOAT => self.read_binary_float(),
            tc::COMPLEX => self.read_complex(),
            tc::BINARY_COMPLEX => self.read_binary_complex(),
            tc::LONG => self.read_long(),
            tc::STRING => self.read_bytes(),
            tc::UNICODE | tc::INTERNED => self.read_unicode(),
            tc::ASCII | tc::ASCII_INTERNED => self.read_ascii(),
            tc::SHORT_ASCII | tc::SHORT_ASCII_INTERNED => self.read_short_ascii(),
            tc::TUPLE => self.read_tuple(),
            tc::SMALL_TUPLE => self.read_small_tuple(),
            tc::LIST => self.read_list(),
            tc::DICT => self.read_dict(),
            tc::FROZENDICT => self.read_frozendict(),
            tc::SET => self.read_set(),
            tc::FROZENSET => self.read_frozenset(),
            tc::SLICE => self.read_slice(),
            tc::CODE => self.read_code(),
            tc::REF => self.read_ref(),
            other => Err(MarshalError::new(start, unknown_type_message(other))),
        }?;
        Ok(match step {
            Step::Done(obj, _) => {
                if let Some(i) = slot {
                    self.refs[i] = Slot::Done(start);
                }
                Step::Done(obj, start)
            }
            Step::Opened(mut frame) => {
                if !matches!(frame.open, Open::Copy { .. }) {
                    self.depth += 1;
                }
                frame.start = start;
                frame.slot = slot;
                Step::Opened(frame)
            }
        })
    }

    /// Hands a finished item (which starts at `at`) to its container.
    fn accept(&mut self, frame: &mut Frame, obj: Obj, at: usize) -> Result<()> {
        match &mut frame.open {
            Open::Items { items, left, .. } => {
                items.push(obj);
                *left = left.saturating_sub(1);
            }
            Open::Dict { pairs, key, .. } => match key.take() {
                None => *key = Some(obj),
                Some(k) => pairs.push((k, obj)),
            },
            Open::Code { code, fields, next } => {
                self.accept_code_field(code, fields[*next], obj, at)?;
                *next = self.read_code_ints(code, fields, *next + 1)?;
            }
            Open::Copy { copy, .. } => *copy = Some(obj),
        }
        Ok(())
    }

    fn is_complete(&mut self, frame: &mut Frame) -> bool {
        match &frame.open {
            Open::Items { left, .. } => *left == 0,
            // A NULL where a key would be ends the dict (CPython ignores
            // FLAG_REF on it, and so does this).
            Open::Dict { key: None, .. } => match self.data.get(self.pos) {
                Some(&b) if b & !tc::FLAG_REF == tc::NULL => {
                    self.pos += 1;
                    true
                }
                _ => false,
            },
            Open::Dict { key: Some(_), .. } => false,
            Open::Code { fields, next, .. } => *next == fields.len(),
            Open::Copy { copy, .. } => copy.is_some(),
        }
    }

    fn finish(&mut self, frame: Frame) -> Result<Step> {
        let Frame { start, slot, open } = frame;
        let obj = match open {
            Open::Items { of, items, .. } => {
                self.depth -= 1;
                match of {
                    ItemsOf::Tuple => Obj::Tuple(items),
                    ItemsOf::List => Obj::List(items),
                    ItemsOf::Set => Obj::Set(items),
                    ItemsOf::FrozenSet => Obj::FrozenSet(items),
                    ItemsOf::Slice => {
                        let mut parts = items.into_iter();
                        match (parts.next(), parts.next(), parts.next()) {
                            (Some(a), Some(b), Some(c)) => Obj::Slice(Box::new((a, b, c))),
                            _ => return Err(MarshalError::new(start, "internal: short slice")),
                        }
                    }
                }
            }
            Open::Dict { frozen, pairs, .. } => {
                self.depth -= 1;
                if frozen {
                    Obj::FrozenDict(pairs)
                } else {
                    Obj::Dict(pairs)
                }
            }
            Open::Code { code, .. } => {
                self.depth -= 1;
                Obj::Code(code)
            }
            Open::Copy {
                resume,
                was_replaying,
                copy,
                ..
            } => {
                self.pos = resume;
                self.replaying = was_replaying;
                match copy {
                    Some(obj) => obj,
                    None => return Err(MarshalError::new(start, "internal: empty copy")),
                }
            }
        };
        if let Some(i) = slot {
            self.refs[i] = Slot::Done(start);
        }
        Ok(Step::Done(obj, start))
    }

    /// An error inside a copy made for a back-reference is reported at the
    /// reference, since that is the byte that asked for too much; the
    /// original offset goes into the message.
    fn blame_copy(&self, e: MarshalError) -> MarshalError {
        for frame in &self.stack {
            if let Open::Copy { index, target, .. } = frame.open {
                return MarshalError::new(
                    frame.start,
                    format!(
                        "{} (at byte {}, while copying object {index}, which starts at \
                         byte {target}, for this back-reference)",
                        e.message, e.offset
                    ),
                );
            }
        }
        e
    }

    // ----- one function per type ----------------------------------------------
    //
    // Each is called just after its type byte; the driver fills in the start
    // offset and reference slot of what they return.

    fn done(obj: Obj) -> Result<Step> {
        Ok(Step::Done(obj, 0))
    }

    fn opened(open: Open) -> Result<Step> {
        Ok(Step::Opened(Frame {
            start: 0,
            slot: None,
            open,
        }))
    }

    fn type_byte_offset(&self) -> usize {
        self.pos - 1
    }

    /// `0`: CPython's NULL, which only ends a dict (`is_complete` looks for
    /// it there); anywhere else CPython refuses it too.
    fn read_null(&mut self) -> Result<Step> {
        Err(MarshalError::new(
            self.type_byte_offset(),
            "expected an object, found NULL ('0'), which may only end a dict",
        ))
    }

    /// `i`: a signed 32-bit int.
    fn read_int(&mut self) -> Result<Step> {
        Self::done(Obj::Int(BigInt::from(self.i32("int")?)))
    }

    /// `I`: a signed 64-bit int, from marshal versions before 3.
    fn read_int64(&mut self) -> Result<Step> {
        Self::done(Obj::Int(BigInt::from(self.u64("int")? as i64)))
    }

    /// `f`: a float written as text, with a one-byte length.
    fn read_float(&mut self) -> Result<Step> {
        Self::done(Obj::Float(self.float_text("float")?))
    }

    fn float_text(&mut self, what: &str) -> Result<u64> {
        let at = self.pos;
        let n = self.u8(&format!("{what} text length"))? as usize;
        let text = self.take(n, &format!("{what} text"))?;
        parse_float_text(text).map(f64::to_bits).ok_or_else(|| {
            MarshalError::new(
                at,
                format!(
                    "expected a float literal, found {:?}",
                    String::from_utf8_lossy(text)
                ),
            )
        })
    }

    /// `g`: a float as eight little-endian IEEE-754 bytes.
    fn read_binary_float(&mut self) -> Result<Step> {
        Self::done(Obj::Float(self.u64("float")?))
    }

    /// `x`: a complex number as two float texts.
    fn read_complex(&mut self) -> Result<Step> {
        let re = self.float_text("complex real part")?;
        let im = self.float_text("complex imaginary part")?;
        Self::done(Obj::Complex(re, im))
    }

    /// `y`: a complex number as two binary floats.
    fn read_binary_complex(&mut self) -> Result<Step> {
        let re = self.u64("complex real part")?;
        let im = self.u64("complex imaginary part")?;
        Self::done(Obj::Complex(re, im))
    }

    /// `l`: an int as base-2**15 digits, least significant first; the count
    /// carries the sign.
    fn read_long(&mut self) -> Result<Step> {
        let at = self.pos;
        let n = self.i32("int digit count")?;
        let count = self.check_count(at, n.unsigned_abs() as usize, 2, "int digit count")?;
        self.charge_payload(at, count * 2)?;
        let digits_at = self.pos;
        let raw = self.take(count * 2, "int digits")?;
        let mut digits = Vec::with_capacity(count);
        for (i, pair) in raw.chunks_exact(2).enumerate() {
            let d = u16::from_le_bytes([pair[0], pair[1]]);
            if d > 0x7FFF {
                return Err(MarshalError::new(
                    digits_at + 2 * i,
                    format!("expected an int digit below 0x8000, found {d:#06x}"),
                ));
            }
            digits.push(d);
        }
        if digits.last() == Some(&0) {
            return Err(MarshalError::new(
                digits_at + 2 * (count - 1),
                "expected a nonzero most significant int digit, found 0",
            ));
        }
        let sign = if n < 0 { Sign::Minus } else { Sign::Plus };
        Self::done(Obj::Int(BigInt::from_biguint(
            sign,
            biguint_from_digits15(&digits),
        )))
    }

    /// `s`: a bytes object.
    fn read_bytes(&mut self) -> Result<Step> {
        let at = self.pos;
        let n = self.count("bytes length", 1)?;
        self.charge_payload(at, n)?;
        Self::done(Obj::Bytes(self.take(n, "bytes data")?.to_vec()))
    }

    /// `u` and `t`: a str as UTF-8 that may encode lone surrogates. Anything
    /// else is refused, as CPython refuses it (its decoder runs with
    /// "surrogatepass", nothing more lenient).
    fn read_unicode(&mut self) -> Result<Step> {
        let at = self.pos;
        let n = self.count("str length", 1)?;
        self.charge_payload(at, n)?;
        let data_at = self.pos;
        let data = self.take(n, "str data")?;
        if let Some(k) = crate::code::wtf8_error(data) {
            return Err(MarshalError::new(
                data_at + k,
                format!(
                    "expected str data in UTF-8 (lone surrogates allowed), found byte {:#04x} \
                     that does not start a character there",
                    data[k]
                ),
            ));
        }
        Self::done(Obj::Str(PyStr(data.to_vec())))
    }

    /// `a` and `A`: a str with one byte per character and a four-byte
    /// length.
    fn read_ascii(&mut self) -> Result<Step> {
        let at = self.pos;
        let n = self.count("str length", 1)?;
        self.latin1(at, n)
    }

    /// `z` and `Z`: the same with a one-byte length.
    fn read_short_ascii(&mut self) -> Result<Step> {
        let at = self.pos;
        let n = self.short_count("str length", 1)?;
        self.latin1(at, n)
    }

    /// CPython reads the one-byte-per-character forms as Latin-1, so a byte
    /// above 0x7F (which its writer never produces) still means that code
    /// point, not an error.
    fn latin1(&mut self, at: usize, n: usize) -> Result<Step> {
        self.charge_payload(at, n)?;
        let raw = self.take(n, "str data")?;
        let text = if raw.is_ascii() {
            raw.to_vec()
        } else {
            let mut out = Vec::with_capacity(raw.len() * 2);
            for &b in raw {
                crate::code::encode_wtf8(b as u32, &mut out);
            }
            out
        };
        Self::done(Obj::Str(PyStr(text)))
    }

    /// `(`: a tuple with a four-byte length.
    fn read_tuple(&mut self) -> Result<Step> {
        let n = self.count("tuple length", 1)?;
        Self::opened(items(ItemsOf::Tuple, n))
    }

    /// `)`: a tuple with a one-byte length.
    fn read_small_tuple(&mut self) -> Result<Step> {
        let n = self.short_count("tuple length", 1)?;
        Self::opened(items(ItemsOf::Tuple, n))
    }

    /// `[`: a list.
    fn read_list(&mut self) -> Result<Step> {
        let n = self.count("list length", 1)?;
        Self::opened(items(ItemsOf::List, n))
    }

    /// `{`: key/value pairs up to a NULL where a key would be.
    fn read_dict(&mut self) -> Result<Step> {
        Self::opened(Open::Dict {
            frozen: false,
            pairs: Vec::new(),
            key: None,
        })
    }

    /// `}`: a frozendict, laid out as a dict.
    fn read_frozendict(&mut self) -> Result<Step> {
        if !self.version.table().marshal_frozendict {
            return Err(MarshalError::new(
                self.type_byte_offset(),
                format!(
                    "expected a type code of Python {}'s marshal, found '}}' (frozendict), \
                     which only {} write",
                    self.version,
                    first_with(|t| t.marshal_frozendict)
                ),
            ));
        }
        Self::opened(Open::Dict {
            frozen: true,
            pairs: Vec::new(),
            key: None,
        })
    }

    /// `<`: a set, in stream order.
    fn read_set(&mut self) -> Result<Step> {
        let n = self.count("set size", 1)?;
        Self::opened(items(ItemsOf::Set, n))
    }

    /// `>`: a frozenset, in stream order.
    fn read_frozenset(&mut self) -> Result<Step> {
        let n = self.count("frozenset size", 1)?;
        Self::opened(items(ItemsOf::FrozenSet, n))
    }

    /// `:`: a slice, as start, stop and step.
    fn read_slice(&mut self) -> Result<Step> {
        if !self.version.table().marshal_slices {
            return Err(MarshalError::new(
                self.type_byte_offset(),
                format!(
                    "expected a type code of Python {}'s marshal, found ':' (slice), \
                     which only {} write",
                    self.version,
                    first_with(|t| t.marshal_slices)
                ),
            ));
        }
        Self::opened(items(ItemsOf::Slice, 3))
    }

    /// `c`: a code object, in its version's field order (`code_fields`).
    /// Its integer fields come first; `accept_code_field` takes the objects
    /// after them.
    fn read_code(&mut self) -> Result<Step> {
        let fields = code_fields(self.version.table());
        let mut code = Box::<Code>::default();
        if fields.contains(&CodeField::VarNames) {
            code.split_vars = Some(Box::default());
        }
        let next = self.read_code_ints(&mut code, fields, 0)?;
        Self::opened(Open::Code { code, fields, next })
    }

    /// Reads the integer fields from `fields[next]` up to the next object
    /// field, and says where that is.
    fn read_code_ints(
        &mut self,
        code: &mut Code,
        fields: &[CodeField],
        mut next: usize,
    ) -> Result<usize> {
        let table = self.version.table();
        while let Some(&field) = fields.get(next).filter(|f| f.is_int()) {
            let name = field.name(table);
            match field {
                CodeField::ArgCount => code.argcount = self.code_count(name)?,
                CodeField::PosOnlyArgCount => {
                    if table.code_posonlyargcount {
                        code.posonlyargcount = self.code_count(name)?
                    }
                }
                CodeField::KwOnlyArgCount => code.kwonlyargcount = self.code_count(name)?,
                CodeField::NLocals => split_vars(code).nlocals = self.code_count(name)?,
                CodeField::StackSize => code.stacksize = self.code_count(name)?,
                CodeField::Flags => code.flags = self.i32(name)? as u32,
                CodeField::FirstLineNo => code.firstlineno = self.i32(name)?,
                _ => {
                    return Err(MarshalError::new(
                        self.pos,
                        "internal: not an integer field",
                    ))
                }
            }
            next += 1;
        }
        Ok(next)
    }

    fn accept_code_field(
        &mut self,
        code: &mut Code,
        field: CodeField,
        obj: Obj,
        at: usize,
    ) -> Result<()> {
        let name = field.name(self.version.table());
        match field {
            CodeField::Code => {
                code.code = expect_bytes(obj, at, name)?;
                if !code.code.len().is_multiple_of(2) {
                    return Err(MarshalError::new(
                        at,
                        format!(
                            "expected co_code of whole two-byte code units, found {} bytes",
                            code.code.len()
                        ),
                    ));
                }
            }
            CodeField::Consts => {
                code.consts = match obj {
                    Obj::Tuple(items) => items,
                    other => return Err(field_type_error(at, "a tuple", name, &other)),
                }
            }
            CodeField::Names => code.names = expect_names(obj, at, name)?,
            CodeField::LocalsPlusNames => code.localsplusnames = expect_names(obj, at, name)?,
            CodeField::LocalsPlusKinds => {
                code.localspluskinds = expect_bytes(obj, at, name)?;
                if code.localspluskinds.len() != code.localsplusnames.len() {
                    return Err(MarshalError::new(
                        at,
                        format!(
                            "expected co_localspluskinds to have one byte per name in \
                             co_localsplusnames ({}), found {}",
                            code.localsplusnames.len(),
                            code.localspluskinds.len()
                        ),
                    ));
                }
            }
            CodeField::VarNames => split_vars(code).varnames = expect_names(obj, at, name)?,
            CodeField::FreeVars => split_vars(code).freevars = expect_names(obj, at, name)?,
            CodeField::CellVars => split_vars(code).cellvars = expect_names(obj, at, name)?,
            CodeField::Filename => code.filename = expect_str(obj, at, name)?,
            CodeField::Name => code.name = expect_str(obj, at, name)?,
            CodeField::QualName => code.qualname = expect_str(obj, at, name)?,
            CodeField::LineTable => code.linetable = expect_bytes(obj, at, name)?,
            CodeField::ExceptionTable => code.exceptiontable = expect_bytes(obj, at, name)?,
            _ => return Err(MarshalError::new(at, "internal: not an object field")),
        }
        Ok(())
    }

    /// `r`: a back-reference, expanded by reading the remembered object's
    /// bytes again (see the module comment).
    fn read_ref(&mut self) -> Result<Step> {
        let at = self.pos;
        let index = self.i32("reference index")?;
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| self.refs.get(i).copied());
        let target = match slot {
            Some(Slot::Done(target)) => target,
            Some(Slot::Pending) => {
                return Err(MarshalError::new(
                    at,
                    format!(
                        "expected a reference to a finished object, found a reference to \
                         object {index}, which contains this reference (a cycle)"
                    ),
                ))
            }
            None => {
                return Err(MarshalError::new(
                    at,
                    format!(
                        "expected a reference index below {} (the objects remembered so far), \
                         found {index}",
                        self.refs.len()
                    ),
                ))
            }
        };
        let open = Open::Copy {
            index,
            target,
            resume: self.pos,
            was_replaying: self.replaying,
            copy: None,
        };
        self.pos = target;
        self.replaying = true;
        Self::opened(open)
    }

    fn code_count(&mut self, field: &str) -> Result<u32> {
        let at = self.pos;
        let v = self.i32(field)?;
        u32::try_from(v).map_err(|_| {
            MarshalError::new(at, format!("expected a non-negative {field}, found {v}"))
        })
    }
}

/// The variables of a 3.6-3.10 code object, which `read_code` gave it.
fn split_vars(code: &mut Code) -> &mut SplitVars {
    code.split_vars.get_or_insert_with(Box::default)
}

fn items(of: ItemsOf, n: usize) -> Open {
    // `n` was checked against the bytes left, but an `Obj` is far bigger
    // than a byte: let the vector grow rather than trust `n` in full.
    Open::Items {
        of,
        items: Vec::with_capacity(n.min(1024)),
        left: n,
    }
}

fn expect_bytes(obj: Obj, at: usize, field: &str) -> Result<Vec<u8>> {
    match obj {
        Obj::Bytes(b) => Ok(b),
        other => Err(field_type_error(at, "bytes", field, &other)),
    }
}

fn expect_str(obj: Obj, at: usize, field: &str) -> Result<PyStr> {
    match obj {
        Obj::Str(s) => Ok(s),
        other => Err(field_type_error(at, "a str", field, &other)),
    }
}

fn expect_names(obj: Obj, at: usize, field: &str) -> Result<Vec<PyStr>> {
    let items = match obj {
        Obj::Tuple(items) => items,
        other => return Err(field_type_error(at, "a tuple of str", field, &other)),
    };
    let mut names = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Obj::Str(s) => names.push(s),
            other => {
                return Err(MarshalError::new(
                    at,
                    format!(
                        "expected a tuple of str for {field}, found {} at index {i}",
                        other.type_name()
                    ),
                ))
            }
        }
    }
    Ok(names)
}

fn field_type_error(at: usize, expected: &str, field: &str, found: &Obj) -> MarshalError {
    MarshalError::new(
        at,
        format!(
            "expected {expected} for {field}, found {}",
            found.type_name()
        ),
    )
}

fn unknown_type_message(code: u8) -> String {
    let shown = if code.is_ascii_graphic() {
        format!("{code:#04x} ('{}')", code as char)
    } else {
        format!("{code:#04x}")
    };
    format!("expected a marshal type code, found {shown}")
}

/// Parses the text of a `f`/`x` float as CPython's `PyOS_string_to_double`
/// does: an optional sign, then a decimal literal or `inf`, `infinity` or
/// `nan` in any case; no spaces and no underscores. Rust's parser accepts the
/// same language once spaces and underscores are ruled out.
fn parse_float_text(text: &[u8]) -> Option<f64> {
    if text.iter().any(|b| b.is_ascii_whitespace() || *b == b'_') {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse::<f64>().ok()
}

/// Packs base-2**15 digits (least significant first) into a big integer.
fn biguint_from_digits15(digits: &[u16]) -> BigUint {
    let mut words = Vec::with_capacity(digits.len() * 15 / 32 + 1);
    let mut acc: u64 = 0;
    let mut bits = 0;
    for &d in digits {
        acc |= (d as u64) << bits;
        bits += 15;
        if bits >= 32 {
            words.push(acc as u32);
            acc >>= 32;
            bits -= 32;
        }
    }
    if bits > 0 {
        words.push(acc as u32);
    }
    BigUint::new(words)
}

/// "3.14 and later": the versions whose table has a marshal type, from the
/// first that does, for messages.
fn first_with(has: impl Fn(&crate::versions::OpcodeTable) -> bool) -> String {
    match Version::ALL.iter().find(|v| has(v.table())) {
        Some(v) => format!("{v} and later"),
        None => "no version".to_string(),
    }
}
