//! `.except` lines to the exception table CPython scans.
//!
//! The lines may overlap when one region nests inside another: the
//! innermost region that covers an instruction decides its handler, as in a
//! nested `try`. CPython looks an offset up assuming the table sorted by
//! start and free of overlaps (a binary search, then a scan that stops at
//! the first entry starting past the offset), so the lines are flattened
//! into exactly such a table: an outer region becomes one entry for each
//! stretch that no inner region covers. Disjoint lines become one entry
//! each, sorted by start. Overlaps that do not nest, and two lines over the
//! same range, say nothing unambiguous and are errors. This module owns
//! that rule; it sees instruction indices only, never offsets or bytes.

use crate::analysis::stack::FlowExcept;
use crate::diag::Diag;
use crate::model::Except;

/// The table entries the lines stand for, sorted and non-overlapping, each
/// with the index of the line it comes from; and one error for each line
/// that overlaps another without nesting. `lines[i]` was written as
/// `written[i]`. A line that inner regions cover entirely gives no entry,
/// and a warning.
pub fn flatten(lines: &[FlowExcept], written: &[&Except]) -> (Vec<(usize, FlowExcept)>, Vec<Diag>) {
    let mut diags = Vec::new();
    let mut order: Vec<usize> = (0..lines.len()).collect();
    // Outer before inner where two start together; written order last, so
    // the line written later is the one reported.
    order.sort_by_key(|&i| (lines[i].start, std::cmp::Reverse(lines[i].end), i));

    // Each line either nests in the innermost open region or is an error
    // beside it: every open region contains the next one up the stack.
    let mut kept = Vec::with_capacity(order.len());
    let mut open: Vec<usize> = Vec::new();
    for &i in &order {
        let l = &lines[i];
        while open.last().is_some_and(|&t| lines[t].end <= l.start) {
            open.pop();
        }
        if let Some(&t) = open.last() {
            let o = &lines[t];
            let (first, second) = (t.min(i), t.max(i));
            if o.start == l.start && o.end == l.end {
                diags.push(same_range(lines, written, first, second));
                continue;
            }
            if l.end > o.end {
                diags.push(crossing(written, first, second));
                continue;
            }
        }
        open.push(i);
        kept.push(i);
    }

    // Each region gives the stretches between its inner regions. A
    // region's stretch before an inner one is emitted when the inner one
    // opens, the rest when it closes: the entries come out sorted.
    struct Open {
        line: usize,
        from: usize,
    }
    let mut out: Vec<(usize, FlowExcept)> = Vec::with_capacity(kept.len());
    let emit = |out: &mut Vec<(usize, FlowExcept)>, line: usize, start: usize, end: usize| {
        if start < end {
            let l = &lines[line];
            out.push((
                line,
                FlowExcept {
                    start,
                    end,
                    span: l.span.clone(),
                    ..*l
                },
            ));
        }
    };
    let close = |out: &mut Vec<(usize, FlowExcept)>, stack: &mut Vec<Open>| {
        if let Some(o) = stack.pop() {
            let end = lines[o.line].end;
            emit(out, o.line, o.from, end);
            if let Some(p) = stack.last_mut() {
                p.from = end;
            }
        }
    };
    let mut stack: Vec<Open> = Vec::new();
    for &i in &kept {
        let start = lines[i].start;
        while stack.last().is_some_and(|o| lines[o.line].end <= start) {
            close(&mut out, &mut stack);
        }
        if let Some(p) = stack.last_mut() {
            let (line, from) = (p.line, p.from);
            p.from = start;
            emit(&mut out, line, from, start);
        }
        stack.push(Open {
            line: i,
            from: start,
        });
    }
    while !stack.is_empty() {
        close(&mut out, &mut stack);
    }
    // A region inner ones cover entirely says something that never happens.
    let mut gives = vec![false; lines.len()];
    for (line, _) in &out {
        gives[*line] = true;
    }
    for &i in &kept {
        if !gives[i] {
            let e = written[i];
            diags.push(
                Diag::warning(
                    "shadowed-except",
                    e.span.clone(),
                    format!(
                        "inner regions cover all of {}: its handler `{}` never runs from it",
                        range_text(e),
                        e.handler
                    ),
                )
                .help("the innermost region covering an instruction decides its handler"),
            );
        }
    }
    (out, diags)
}

fn range_text(e: &Except) -> String {
    format!("`{}` .. `{}`", e.start, e.end)
}

fn crossing(written: &[&Except], first: usize, second: usize) -> Diag {
    let (a, b) = (written[first], written[second]);
    Diag::error(
        "overlapping-except",
        b.span.clone(),
        format!(
            "the region {} overlaps the region {} without nesting in it: which handler runs where they overlap is not said",
            range_text(b),
            range_text(a)
        ),
    )
    .note(
        a.span.clone(),
        format!("the region {} is written here", range_text(a)),
    )
    .help("make one region contain the other (the innermost region covering an instruction wins), or split one at the other's edge")
}

fn same_range(lines: &[FlowExcept], written: &[&Except], first: usize, second: usize) -> Diag {
    let (a, b) = (written[first], written[second]);
    let (la, lb) = (&lines[first], &lines[second]);
    let same = la.handler == lb.handler
        && la.lasti == lb.lasti
        && (la.depth == lb.depth || la.depth.is_none() || lb.depth.is_none());
    let message = if same {
        format!("the region {} is written twice", range_text(b))
    } else {
        format!(
            "two regions cover exactly {}, with different handlers: which one runs is not said",
            range_text(b)
        )
    };
    Diag::error("overlapping-except", b.span.clone(), message)
        .note(a.span.clone(), "the same range is written here")
        .help("keep one line, or make one region smaller so that it nests in the other")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(start: usize, end: usize, handler: usize) -> FlowExcept {
        FlowExcept {
            start,
            end,
            handler,
            depth: None,
            lasti: false,
            span: 0..0,
        }
    }

    fn except() -> Except {
        Except {
            start: "a".into(),
            end: "b".into(),
            handler: "h".into(),
            depth: None,
            lasti: false,
            span: 0..0,
        }
    }

    fn run(lines: &[FlowExcept]) -> (Vec<(usize, usize, usize, usize)>, usize) {
        let e = except();
        let written: Vec<&Except> = lines.iter().map(|_| &e).collect();
        let (out, diags) = flatten(lines, &written);
        (
            out.iter()
                .map(|(l, f)| (*l, f.start, f.end, f.handler))
                .collect(),
            diags.len(),
        )
    }

    #[test]
    fn disjoint_lines_stay_one_entry_each_and_sorted() {
        let (out, errors) = run(&[line(5, 8, 20), line(0, 3, 21), line(3, 5, 21)]);
        assert_eq!(errors, 0);
        assert_eq!(out, vec![(1, 0, 3, 21), (2, 3, 5, 21), (0, 5, 8, 20)]);
    }

    #[test]
    fn inner_regions_split_the_outer_in_any_written_order() {
        let want = vec![
            (2, 0, 2, 30),
            (0, 2, 4, 31),
            (2, 4, 5, 30),
            (1, 5, 6, 32),
            (3, 6, 7, 33),
            (1, 7, 8, 32),
            (2, 8, 10, 30),
        ];
        let lines = [
            line(2, 4, 31),
            line(5, 8, 32),
            line(0, 10, 30),
            line(6, 7, 33),
        ];
        assert_eq!(run(&lines), (want.clone(), 0));
        let mut reversed = lines.to_vec();
        reversed.reverse();
        let (out, errors) = run(&reversed);
        assert_eq!(errors, 0);
        let renumbered: Vec<_> = want.iter().map(|&(l, s, e, h)| (3 - l, s, e, h)).collect();
        assert_eq!(out, renumbered);
    }

    #[test]
    fn shared_edges_nest() {
        // Inner regions flush with the outer one's start and end.
        let (out, errors) = run(&[line(0, 2, 31), line(0, 6, 30), line(4, 6, 32)]);
        assert_eq!(errors, 0);
        assert_eq!(out, vec![(0, 0, 2, 31), (1, 2, 4, 30), (2, 4, 6, 32)]);
        // Covered entirely: the outer one gives nothing, and a warning.
        let (out, warnings) = run(&[line(0, 2, 31), line(0, 4, 30), line(2, 4, 32)]);
        assert_eq!(warnings, 1);
        assert_eq!(out, vec![(0, 0, 2, 31), (2, 2, 4, 32)]);
    }

    #[test]
    fn crossing_and_equal_ranges_are_one_error_each() {
        assert_eq!(run(&[line(0, 4, 30), line(2, 6, 31)]).1, 1);
        assert_eq!(run(&[line(0, 4, 30), line(0, 4, 31)]).1, 1);
        assert_eq!(run(&[line(0, 4, 30), line(0, 4, 30)]).1, 1);
        // The crossing line is left out; the rest still flattens.
        let (out, errors) = run(&[line(0, 10, 30), line(2, 4, 31), line(3, 6, 32)]);
        assert_eq!(errors, 1);
        assert_eq!(out, vec![(0, 0, 2, 30), (1, 2, 4, 31), (0, 4, 10, 30)]);
    }
}
