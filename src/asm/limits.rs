//! What a built module costs once marshalled, and the limits it must stay
//! within.
//!
//! Depth: CPython's marshal refuses to read objects nested more than
//! [`MAX_DEPTH`] levels deep (the code object is one level, each of its
//! fields the next, and so on into constants and the code objects inside
//! them), so a deeper module could be written but never loaded.
//!
//! Size: the writer emits no back-references, so a block referenced from
//! several constants is written once for each. A few lines of text, each
//! block referencing the next one twice, would otherwise describe output of
//! exponential size. The budget is the one the reader keeps
//! ([`MAX_OBJECTS`], [`MAX_PAYLOAD_BYTES`]): what is built can be read back.
//!
//! Costs are computed from the constants of a block's model, with each
//! referenced block's cost known from building it, so nothing is copied
//! before the budget allows it.

use crate::code::{Code, Obj};
use crate::diag::Diag;
use crate::marshal::{MAX_DEPTH, MAX_OBJECTS, MAX_PAYLOAD_BYTES};
use crate::model::Span;

/// The marshalled form of an object: how many levels it nests (a leaf is
/// one), how many objects it holds (itself included) and how many bytes of
/// `str`, `bytes`, `int` and code payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub depth: usize,
    pub objects: u64,
    pub payload: u64,
}

impl Cost {
    fn leaf(payload: usize) -> Cost {
        Cost {
            depth: 1,
            objects: 1,
            payload: payload as u64,
        }
    }

    /// A container of `items` (whose costs are summed into `sum`, their
    /// greatest depth into `sum.depth`).
    fn container(sum: Cost) -> Cost {
        Cost {
            depth: sum.depth + 1,
            objects: sum.objects.saturating_add(1),
            payload: sum.payload,
        }
    }

    /// Adds an item of a container: depths take the maximum.
    fn add(&mut self, c: Cost) {
        self.depth = self.depth.max(c.depth);
        self.objects = self.objects.saturating_add(c.objects);
        self.payload = self.payload.saturating_add(c.payload);
    }
}

/// The cost of one constant; `child` gives the cost of a referenced block
/// (None when it failed to build, which makes the whole answer None).
/// Walks with an explicit stack: constants can nest as deep as the reader
/// allows.
pub fn obj_cost(root: &Obj, child: &dyn Fn(&str) -> Option<Cost>) -> Option<Cost> {
    // Open containers: the items left to visit and the sum so far.
    let mut open: Vec<(std::vec::IntoIter<&Obj>, Cost)> = Vec::new();
    let mut next = root;
    loop {
        let items: Vec<&Obj> = match next {
            Obj::Tuple(v) | Obj::List(v) | Obj::Set(v) | Obj::FrozenSet(v) => v.iter().collect(),
            Obj::Dict(kv) | Obj::FrozenDict(kv) => kv.iter().flat_map(|(k, v)| [k, v]).collect(),
            Obj::Slice(s) => vec![&s.0, &s.1, &s.2],
            _ => Vec::new(),
        };
        let is_container = matches!(
            next,
            Obj::Tuple(_)
                | Obj::List(_)
                | Obj::Set(_)
                | Obj::FrozenSet(_)
                | Obj::Dict(_)
                | Obj::FrozenDict(_)
                | Obj::Slice(_)
        );
        let mut done = if is_container {
            let mut it = items.into_iter();
            match it.next() {
                Some(first) => {
                    open.push((it, Cost::default()));
                    next = first;
                    continue;
                }
                None => Cost::container(Cost::default()),
            }
        } else {
            leaf_cost(next, child)?
        };
        loop {
            let Some((it, sum)) = open.last_mut() else {
                return Some(done);
            };
            sum.add(done);
            if let Some(item) = it.next() {
                next = item;
                break;
            }
            let (_, sum) = open.pop()?;
            done = Cost::container(sum);
        }
    }
}

fn leaf_cost(o: &Obj, child: &dyn Fn(&str) -> Option<Cost>) -> Option<Cost> {
    Some(match o {
        Obj::Str(s) => Cost::leaf(s.0.len()),
        Obj::Bytes(b) => Cost::leaf(b.len()),
        Obj::Int(i) => Cost::leaf(i.bits().div_ceil(8) as usize),
        Obj::CodeRef(n) => child(n)?,
        // A code object given whole (not from text) is costed the same way.
        Obj::Code(c) => code_cost(c, &c.consts, child)?,
        _ => Cost::leaf(0),
    })
}

/// The cost of a block's constants tuple.
pub fn consts_cost<'a>(
    consts: impl IntoIterator<Item = &'a Obj>,
    child: &dyn Fn(&str) -> Option<Cost>,
) -> Option<Cost> {
    let mut sum = Cost::default();
    for c in consts {
        sum.add(obj_cost(c, child)?);
    }
    Some(Cost::container(sum))
}

/// The cost of a built code object, whose constants are `consts` in the
/// model (code objects still as references to blocks).
pub fn code_cost<'a>(
    code: &Code,
    consts: impl IntoIterator<Item = &'a Obj>,
    child: &dyn Fn(&str) -> Option<Cost>,
) -> Option<Cost> {
    let names = |v: &[crate::code::PyStr]| {
        let mut sum = Cost::default();
        for n in v {
            sum.add(Cost::leaf(n.0.len()));
        }
        Cost::container(sum)
    };
    let mut fields = Cost::default();
    for b in [
        &code.code,
        &code.localspluskinds,
        &code.linetable,
        &code.exceptiontable,
    ] {
        fields.add(Cost::leaf(b.len()));
    }
    for s in [&code.filename, &code.name, &code.qualname] {
        fields.add(Cost::leaf(s.0.len()));
    }
    fields.add(names(&code.names));
    fields.add(names(&code.localsplusnames));
    fields.add(consts_cost(consts, child)?);
    Some(Cost::container(fields))
}

/// The error for a block whose built form is over a limit.
pub fn check(c: &Cost, block: &str, span: &Span) -> Result<(), Diag> {
    let named = if block.is_empty() {
        "this code block".to_string()
    } else {
        format!("code block `{block}`")
    };
    if c.depth > MAX_DEPTH {
        return Err(Diag::error(
            "too-deep",
            span.clone(),
            format!(
                "{named} nests {} levels deep once built, and CPython's marshal reads at most \
                 {MAX_DEPTH}",
                c.depth
            ),
        )
        .help(
            "each code object is a level, and so are its constants tuple, each container \
             in it and each code block a constant references",
        ));
    }
    if c.objects > MAX_OBJECTS || c.payload > MAX_PAYLOAD_BYTES {
        return Err(Diag::error(
            "too-large",
            span.clone(),
            format!(
                "{named} would hold {} objects and {} bytes of data once built, more than \
                 the {MAX_OBJECTS} objects or {MAX_PAYLOAD_BYTES} bytes a .pyc may hold",
                c.objects, c.payload
            ),
        )
        .help(
            "a code block referenced from several constants is copied into each; \
             references to references multiply",
        ));
    }
    Ok(())
}
