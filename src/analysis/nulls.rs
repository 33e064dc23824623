//! Which stack slots may hold NULL. CPython pushes NULL as a placeholder
//! for calls (`PUSH_NULL`, `LOAD_GLOBAL`'s NULL bit, the method forms of
//! `LOAD_ATTR`, `LOAD_METHOD`, `LOAD_SUPER_ATTR` and `LOAD_SPECIAL`); only
//! the call instructions and stack shuffles may consume one. Any other
//! instruction that receives a NULL dereferences it and crashes the
//! interpreter, and so does a `CALL` whose callable is NULL.
//!
//! Forward data flow over the stack depth analysis, one tag per slot. Only
//! slots that are NULL on every path are reported, so the check has no
//! false errors on real code.

use super::stack::{flow_of, inputs, Flow, FlowExcept, FlowInstr};
use crate::versions::{OpcodeTable, Version};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tag {
    Value,
    /// NULL, pushed by the instruction at this index.
    Null(usize),
    Maybe,
}

fn join(a: Tag, b: Tag) -> Tag {
    if a == b {
        a
    } else {
        match (a, b) {
            (Tag::Null(_), Tag::Null(_)) => a,
            _ => Tag::Maybe,
        }
    }
}

/// A NULL misuse: (instruction, where the NULL was pushed, what it does
/// with it).
pub struct Misuse {
    pub at: usize,
    pub origin: usize,
    pub what: &'static str,
}

pub fn null_misuses(
    table: &OpcodeTable,
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    depths: &[Option<i32>],
    live: &[bool],
    handler_depths: &[Option<u32>],
) -> Vec<Misuse> {
    let n = instrs.len();
    let late = table.version >= Version::V3_13;
    let mut state: Vec<Option<Vec<Tag>>> = vec![None; n + 1];
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    // Handler entries: everything below is unknown, then lasti and the
    // exception are values. An entry is entered once its handler depth is
    // known and some instruction of its range has been reached; `ready`
    // holds those not entered yet, by index, so that no pass looks at the
    // whole table (the passes can be as many as the entries).
    let mut covering: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in excepts.iter().enumerate() {
        if e.handler < n && handler_depths.get(k).copied().flatten().is_some() {
            for c in covering.iter_mut().take(e.end.min(n)).skip(e.start) {
                c.push(k);
            }
        }
    }
    let mut ready: BTreeSet<usize> = BTreeSet::new();
    let mut entered = vec![false; excepts.len()];
    // Called when `state[t]` is first set.
    let reach = |t: usize, ready: &mut BTreeSet<usize>, entered: &[bool]| {
        for &k in covering.get(t).map_or(&[][..], Vec::as_slice) {
            if !entered[k] {
                ready.insert(k);
            }
        }
    };
    state[0] = Some(Vec::new());
    reach(0, &mut ready, &entered);
    let mut work = vec![0usize];
    let mut reported = vec![false; n];
    let mut steps = 0usize;
    loop {
        while let Some(i) = work.pop() {
            steps += 1;
            if steps > 200 * (n + 1) {
                return out;
            }
            if i >= n || !live.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Some(mut st) = state[i].clone() else {
                continue;
            };
            let ins = &instrs[i];
            let Some(op) = ins.op else { continue };
            if depths[i] != Some(st.len() as i32) {
                continue;
            }
            let name = op.base.unwrap_or(op.name);
            let a = ins.arg;
            let d = st.len();
            // A definite NULL among the `k` top slots, except at the
            // positions (from the bottom of those k) that may hold one.
            let check = |st: &[Tag], k: usize, allowed: &[usize], what: &'static str| {
                let k = k.min(st.len());
                st[st.len() - k..]
                    .iter()
                    .enumerate()
                    .find_map(|(pos, t)| match t {
                        Tag::Null(origin) if !allowed.contains(&pos) => Some(Misuse {
                            at: i,
                            origin: *origin,
                            what,
                        }),
                        _ => None,
                    })
            };
            let mut found: Option<Misuse> = None;
            let mut pushed: Option<Vec<Tag>> = None;
            let argc = a as usize;
            match name {
                "PUSH_NULL" => pushed = Some(vec![Tag::Null(i)]),
                "NOP" | "RESUME" | "CACHE" | "EXTENDED_ARG" | "NOT_TAKEN" => {}
                // COPY takes a new reference to what it copies, and
                // POP_TOP drops one: both dereference a NULL (python3.11
                // dies of a segfault on PUSH_NULL; POP_TOP).
                "COPY" if (1..=d).contains(&argc) => {
                    let t = st[d - argc];
                    if let Tag::Null(origin) = t {
                        found = Some(Misuse {
                            at: i,
                            origin,
                            what: "copies",
                        });
                    }
                    st.push(t);
                    pushed = Some(vec![]);
                }
                "SWAP" if (2..=d).contains(&argc) => {
                    st.swap(d - 1, d - argc);
                    pushed = Some(vec![]);
                }
                "LOAD_GLOBAL" if a & 1 == 1 => {
                    pushed = Some(if late {
                        vec![Tag::Value, Tag::Null(i)]
                    } else {
                        vec![Tag::Null(i), Tag::Value]
                    })
                }
                "LOAD_ATTR" | "LOAD_SUPER_ATTR" | "LOAD_METHOD" | "LOAD_SPECIAL"
                    if a & 1 == 1 || name == "LOAD_METHOD" || name == "LOAD_SPECIAL" =>
                {
                    let k = inputs(table, op, a) as usize;
                    found = check(&st, k, &[], "uses as an object");
                    st.truncate(d.saturating_sub(k));
                    pushed = Some(if late || name == "LOAD_SPECIAL" {
                        vec![Tag::Value, Tag::Maybe]
                    } else {
                        vec![Tag::Maybe, Tag::Value]
                    });
                }
                "CALL" | "CALL_KW" if !(name == "CALL" && table.args_at_precall) => {
                    // [callable, self_or_null, args] from 3.13;
                    // [null_or_method, callable, args] in 3.12.
                    let k = argc + 2 + (name == "CALL_KW") as usize;
                    let callable = if late { 0 } else { 1 };
                    let allowed = if late {
                        [1, usize::MAX]
                    } else {
                        [0, usize::MAX]
                    };
                    if k <= d {
                        if let Tag::Null(origin) = st[d - k + callable] {
                            found = Some(Misuse {
                                at: i,
                                origin,
                                what: "calls as the callable",
                            });
                        }
                    }
                    found = found.or_else(|| check(&st, k, &allowed, "passes as an argument"));
                    st.truncate(d.saturating_sub(k));
                    pushed = Some(vec![Tag::Value]);
                }
                "CALL" => {
                    // 3.11: PRECALL has taken the arguments; the top two are
                    // [null_or_method, callable_or_self].
                    if d >= 2 {
                        if let Tag::Null(origin) = st[d - 1] {
                            found = Some(Misuse {
                                at: i,
                                origin,
                                what: "calls as the callable",
                            });
                        }
                    }
                    st.truncate(d.saturating_sub(2));
                    pushed = Some(vec![Tag::Value]);
                }
                "PRECALL" => {
                    found = check(&st, argc, &[], "passes as an argument");
                    st.truncate(d.saturating_sub(argc));
                    pushed = Some(vec![]);
                }
                "CALL_FUNCTION_EX" => {
                    // Pops the callable, its NULL or self slot, the
                    // arguments (and keywords), and pushes the result.
                    let k = (1 - op.stack_effect(a, false)).max(0) as usize;
                    st.truncate(d.saturating_sub(k));
                    pushed = Some(vec![Tag::Value]);
                }
                n if n.starts_with("INSTRUMENTED_") || n == "WITH_EXCEPT_START" => {}
                _ => {
                    let k = inputs(table, op, a) as usize;
                    found = check(&st, k, &[], "uses as an object");
                }
            }
            if let Some(m) = found {
                if !reported[i] {
                    reported[i] = true;
                    out.push(m);
                }
            }
            // Successors: the generic effect, or the shape built above.
            let flow = flow_of(op);
            let edge = |jump: bool, st: &[Tag]| -> Vec<Tag> {
                if let Some(p) = &pushed {
                    let mut s = st.to_vec();
                    s.extend(p.iter().copied());
                    return s;
                }
                let eff = op.stack_effect(a, jump);
                let k = inputs(table, op, a);
                let keep = (d as i32 - k).max(0) as usize;
                let mut s = st[..keep.min(st.len())].to_vec();
                let push = (k + eff).max(0) as usize;
                s.extend(std::iter::repeat_n(Tag::Value, push));
                s
            };
            let mut succ: Vec<(usize, Vec<Tag>)> = Vec::new();
            if matches!(flow, Flow::Branch | Flow::Jump) {
                if let Some(t) = ins.target {
                    succ.push((t, edge(true, &st)));
                }
            }
            if matches!(flow, Flow::Next | Flow::Branch) {
                succ.push((i + 1, edge(false, &st)));
            }
            for (t, s) in succ {
                if t > n {
                    continue;
                }
                match &mut state[t] {
                    None => {
                        state[t] = Some(s);
                        reach(t, &mut ready, &entered);
                        work.push(t);
                    }
                    Some(old) if old.len() == s.len() => {
                        let mut changed = false;
                        for (o, x) in old.iter_mut().zip(&s) {
                            let j = join(*o, *x);
                            changed |= j != *o;
                            *o = j;
                        }
                        if changed {
                            work.push(t);
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        // Enter handlers whose regions were reached, in table order; one
        // reached by entering another comes in this pass if it comes later
        // in the table, else in the next.
        let mut progressed = false;
        let mut next = 0usize;
        while let Some(&k) = ready.range(next..).next() {
            next = k + 1;
            ready.remove(&k);
            let e = &excepts[k];
            let Some(hd) = handler_depths.get(k).copied().flatten() else {
                continue;
            };
            entered[k] = true;
            let mut s = vec![Tag::Maybe; hd as usize];
            s.extend(std::iter::repeat_n(Tag::Value, 1 + e.lasti as usize));
            match &mut state[e.handler] {
                None => {
                    state[e.handler] = Some(s);
                    reach(e.handler, &mut ready, &entered);
                    work.push(e.handler);
                }
                Some(old) if old.len() == s.len() => {
                    for (o, x) in old.iter_mut().zip(&s) {
                        *o = join(*o, *x);
                    }
                    work.push(e.handler);
                }
                Some(_) => {}
            }
            progressed = true;
        }
        if !progressed {
            break;
        }
    }
    out
}
