//! Stack depths over the control-flow graph of one code object.
//!
//! A worklist walks every reachable instruction from the entry and from each
//! exception handler, with the depth each instruction starts at. It yields the
//! maximum depth (`co_stacksize`), the depth recorded for each exception table
//! entry when the text leaves it out, and the problems the verifier reports.
//! It only reads the instructions; it never runs them.

use crate::versions::{OpInfo, OpcodeTable};

pub struct FlowInstr {
    /// `None` for an opcode the version does not know; it is treated as
    /// having no stack effect and falling through.
    pub op: Option<&'static OpInfo>,
    pub arg: u32,
    /// Index of the instruction a jump lands on (`len` for the end).
    pub target: Option<usize>,
}

/// An exception-table entry in instruction indices.
pub struct FlowExcept {
    pub start: usize,
    pub end: usize,
    pub handler: usize,
    pub depth: Option<u32>,
    pub lasti: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Instruction index, depth before it, and its effect.
    Underflow { at: usize, depth: i32 },
    /// Two paths reach an instruction with different depths.
    Mismatch { at: usize, first: i32, second: i32 },
    /// Execution runs past the last instruction.
    FallsOffEnd { at: usize },
}

#[derive(Debug, Default)]
pub struct StackResult {
    pub max_depth: u32,
    pub depths: Vec<Option<i32>>,
    /// The depth each entry records: as given, or computed.
    pub handler_depths: Vec<Option<u32>>,
    pub problems: Vec<Problem>,
    /// For each reached instruction, the one it was first reached from
    /// (`None` for the entry and for handler entries): a path to explain
    /// a depth.
    pub pred: Vec<Option<usize>>,
}

/// How control leaves an instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flow {
    Next,
    /// Conditional branch: may fall through or jump.
    Branch,
    /// Unconditional jump.
    Jump,
    /// Return or raise: no successor in this code object.
    Stop,
}

pub fn flow_of(op: &OpInfo) -> Flow {
    match op.base.unwrap_or(op.name) {
        // 3.14 gives END_ASYNC_FOR a target to find its SEND, but it never
        // jumps there: it falls through.
        "END_ASYNC_FOR" | "INSTRUMENTED_END_ASYNC_FOR" => Flow::Next,
        "JUMP_FORWARD" | "JUMP_BACKWARD" | "JUMP_BACKWARD_NO_INTERRUPT" | "JUMP" => Flow::Jump,
        "RETURN_VALUE" | "RETURN_CONST" | "RAISE_VARARGS" | "RERAISE" => Flow::Stop,
        _ if op.is_jump() => Flow::Branch,
        _ => Flow::Next,
    }
}

struct Walk {
    work: Vec<usize>,
    problems: Vec<Problem>,
    depths: Vec<Option<i32>>,
    pred: Vec<Option<usize>>,
}

fn set(at: usize, d: i32, from: Option<usize>, w: &mut Walk) {
    let Walk {
        work,
        problems,
        depths,
        pred,
    } = w;
    match depths[at] {
        None => {
            depths[at] = Some(d);
            pred[at] = from;
            work.push(at);
        }
        Some(old) if old != d => problems.push(Problem::Mismatch {
            at,
            first: old,
            second: d,
        }),
        _ => {}
    }
}

/// True when the handler at `h` starts like a `with` statement's cleanup:
/// PUSH_EXC_INFO then WITH_EXCEPT_START.
fn with_handler(instrs: &[FlowInstr], h: usize) -> bool {
    let name = |i: usize| {
        instrs
            .get(i)
            .and_then(|x| x.op)
            .map(|o| o.base.unwrap_or(o.name))
    };
    name(h) == Some("PUSH_EXC_INFO") && name(h + 1) == Some("WITH_EXCEPT_START")
}

pub fn analyze(_table: &OpcodeTable, instrs: &[FlowInstr], excepts: &[FlowExcept]) -> StackResult {
    let n = instrs.len();
    let mut w = Walk {
        work: Vec::new(),
        problems: Vec::new(),
        depths: vec![None; n + 1],
        pred: vec![None; n + 1],
    };
    let mut handler_depths: Vec<Option<u32>> = excepts.iter().map(|e| e.depth).collect();
    let mut max: i64 = 0;
    // A depth belongs to a handler, not to a region: every region that
    // jumps to the same handler records the same depth. Regions without a
    // depth take one written on another region of their handler, or else
    // the stack depth at the start of the earliest region that is reached.
    let mut order: Vec<usize> = (0..excepts.len()).collect();
    order.sort_by_key(|&k| (excepts[k].start, k));
    for k in 0..excepts.len() {
        if handler_depths[k].is_none() {
            handler_depths[k] = excepts
                .iter()
                .find(|e| e.handler == excepts[k].handler && e.depth.is_some())
                .and_then(|e| e.depth);
        }
    }
    let mut handler_pushed = vec![false; excepts.len()];
    if n > 0 {
        set(0, 0, None, &mut w);
    }
    loop {
        while let Some(i) = w.work.pop() {
            if i >= n {
                continue;
            }
            let d = w.depths[i].unwrap_or(0);
            max = max.max(d as i64);
            let ins = &instrs[i];
            let Some(op) = ins.op else {
                set(i + 1, d, Some(i), &mut w);
                continue;
            };
            let flow = flow_of(op);
            let mut next = d + op.stack_effect(ins.arg, false);
            max = max.max(next as i64);
            // A generator resumes after RETURN_GENERATOR with the value it
            // was sent on the stack. 3.11 and 3.12 count RETURN_GENERATOR as
            // 0 (their compiler adds it after computing the stack size), so
            // the value is added here without counting towards the size.
            if op.base.unwrap_or(op.name) == "RETURN_GENERATOR"
                && op.stack_effect(ins.arg, false) == 0
            {
                next += 1;
            }
            if next < 0 || d + op.stack_effect(ins.arg, true) < 0 {
                w.problems.push(Problem::Underflow { at: i, depth: d });
            }
            if matches!(flow, Flow::Branch | Flow::Jump) {
                if let Some(t) = ins.target {
                    let td = d + op.stack_effect(ins.arg, true);
                    max = max.max(td as i64);
                    set(t, td.max(0), Some(i), &mut w);
                }
            }
            if matches!(flow, Flow::Next | Flow::Branch) {
                if i + 1 == n {
                    w.problems.push(Problem::FallsOffEnd { at: i });
                }
                set(i + 1, next.max(0), Some(i), &mut w);
            }
        }
        let mut progressed = false;
        // Give each handler the lowest depth seen anywhere in its regions:
        // a protected body never goes below the level its try started at,
        // and the instruction after the (removed) SETUP sits exactly there.
        // For a `with`, that lowest point is after the entered value is
        // popped, which is also what CPython records.
        for k in 0..excepts.len() {
            if handler_depths[k].is_some() {
                continue;
            }
            let h = excepts[k].handler;
            let lowest = if with_handler(instrs, h) {
                // A `with` region starts right after BEFORE_WITH, with the
                // entered value still on the stack; the level is below it.
                excepts
                    .iter()
                    .filter(|e| e.handler == h)
                    .min_by_key(|e| e.start)
                    .and_then(|e| w.depths.get(e.start).copied().flatten())
                    .map(|d| d - 1)
            } else {
                excepts
                    .iter()
                    .filter(|e| e.handler == h)
                    .flat_map(|e| e.start..e.end.min(n))
                    .filter_map(|i| w.depths[i])
                    .min()
            };
            if let Some(m) = lowest {
                let m = m.max(0) as u32;
                for (j, other) in excepts.iter().enumerate() {
                    if other.handler == h && handler_depths[j].is_none() {
                        handler_depths[j] = Some(m);
                    }
                }
                progressed = true;
            }
        }
        // Enter each handler whose region is reached.
        for (k, e) in excepts.iter().enumerate() {
            if let (Some(hd), false) = (handler_depths[k], handler_pushed[k]) {
                if (e.start..e.end.min(n)).any(|i| w.depths[i].is_some()) {
                    handler_pushed[k] = true;
                    let entry = hd as i32 + 1 + e.lasti as i32;
                    max = max.max(entry as i64);
                    if e.handler < n {
                        set(e.handler, entry, None, &mut w);
                    }
                    progressed = true;
                }
            }
        }
        if !progressed {
            break;
        }
    }
    w.depths.truncate(n);
    w.pred.truncate(n);
    StackResult {
        max_depth: max.clamp(0, u32::MAX as i64) as u32,
        depths: w.depths,
        handler_depths,
        problems: w.problems,
        pred: w.pred,
    }
}
