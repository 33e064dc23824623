//! Properties that hold for every input, however malformed: the fuzz
//! targets in `fuzz/` and the property tests in `tests/props.rs` feed their
//! inputs to these functions. Each returns `Err` with a description when
//! pyasm misbehaves on the input; a panic is a failure too, caught by the
//! caller (libFuzzer or the test harness), and so are a hang or a blown
//! memory limit. (The language server's document has its own in
//! [`crate::lsp::selfcheck`].) Nothing here runs in normal use.

use crate::asm::Options;
use crate::code::{Code, Obj};
use crate::diag::{Diag, LineIndex};
use crate::marshal;
use crate::pyc::{self, PycError};
use crate::versions::Version;

/// Whatever the bytes, the `.pyc` reader and the marshal reader of every
/// version either fail with an error placed inside the input, or read
/// something that the writer writes and the reader reads back equal.
pub fn pyc_reader(data: &[u8]) -> Result<(), String> {
    match pyc::read_pyc(data) {
        Err(e) => error_in_bounds(&e, data.len())?,
        Ok((header, code)) => {
            let again = pyc::write_pyc(&header, &code);
            match pyc::read_pyc(&again) {
                Ok((h, c)) if h == header && c == code => {}
                Ok(_) => return Err("a .pyc read, written and read again changed".into()),
                Err(e) => return Err(format!("a .pyc read and written does not read back: {e}")),
            }
        }
    }
    for &v in Version::ALL {
        match marshal::loads_prefix(data, v) {
            Err(e) => {
                if e.offset > data.len() || e.message.is_empty() {
                    return Err(format!("marshal ({v}): error out of place: {e}"));
                }
            }
            Ok((obj, used)) => {
                if used > data.len() {
                    return Err(format!(
                        "marshal ({v}): read {used} of {} bytes",
                        data.len()
                    ));
                }
                let again = marshal::dumps(&obj, v);
                match marshal::loads(&again, v) {
                    Ok(o) if o == obj => {}
                    Ok(o) => {
                        return Err(format!(
                            "marshal ({v}): read, written and read again changed:\n{obj:?}\n{o:?}"
                        ))
                    }
                    Err(e) => {
                        return Err(format!(
                            "marshal ({v}): written object does not read back: {e}"
                        ))
                    }
                }
            }
        }
    }
    Ok(())
}

fn error_in_bounds(e: &PycError, len: usize) -> Result<(), String> {
    let text = e.to_string();
    if e.offset() > len || !text.starts_with(&format!("at byte {}:", e.offset())) {
        return Err(format!(
            "error not placed in the {len} bytes of input: {text}"
        ));
    }
    Ok(())
}

/// Every `.pyc` the reader accepts disassembles to text that builds back,
/// with the verifier off (the input may be any code at all), into the same
/// header and a code object equal to the one read, field by field; and
/// disassembling that gives the same text again.
pub fn pyc_roundtrip(data: &[u8]) -> Result<(), String> {
    let Ok((header, code)) = pyc::read_pyc(data) else {
        return Ok(());
    };
    let module = crate::dis::disassemble(header.version, Some(header), &code);
    let text = crate::dis::print::print_module(&module);
    let opts = Options {
        verify: false,
        recompute_stack: false,
    };
    let built = crate::assemble(&text, &with_build(opts));
    let Some(pyc) = built.pyc else {
        return Err(format!(
            "the disassembly does not build:\n{}\n{text}",
            crate::diag::render("dis.pyasm", &text, &built.diags, false)
        ));
    };
    let (h2, c2) =
        pyc::read_pyc(&pyc).map_err(|e| format!("the rebuilt .pyc does not read: {e}"))?;
    if h2 != header {
        return Err(format!(
            "the header changed: {header:?} became {h2:?}\n{text}"
        ));
    }
    if c2 != code {
        return Err(format!(
            "the rebuilt code object differs ({})\n{text}",
            code_difference(&code, &c2)
        ));
    }
    let again = crate::disassemble_pyc(&pyc)
        .map_err(|e| format!("the rebuilt .pyc: {e}"))?
        .text;
    if again != text {
        return Err(format!(
            "disassembling again gives other text:\n{text}\n---\n{again}"
        ));
    }
    Ok(())
}

/// The first place two code objects differ, nested ones included.
fn code_difference(a: &Code, b: &Code) -> String {
    macro_rules! fields {
        ($($f:ident),*) => {$(
            if a.$f != b.$f {
                return format!("{} {}: {:?} / {:?}", a.name.as_str().unwrap_or("?"), stringify!($f), a.$f, b.$f);
            }
        )*};
    }
    if a.consts.len() == b.consts.len() {
        for (x, y) in a.consts.iter().zip(&b.consts) {
            if let (Obj::Code(x), Obj::Code(y)) = (x, y) {
                if x != y {
                    return code_difference(x, y);
                }
            }
        }
    }
    fields!(
        argcount,
        posonlyargcount,
        kwonlyargcount,
        stacksize,
        flags,
        code,
        consts,
        names,
        localsplusnames,
        localspluskinds,
        filename,
        name,
        qualname,
        firstlineno,
        linetable,
        exceptiontable
    );
    "no field differs".into()
}

/// Whatever the text, building and checking it gives diagnostics placed
/// inside it, which render; and whatever it builds reads back, and goes
/// through the disassembler and the assembler again unchanged.
pub fn text(text: &str) -> Result<(), String> {
    for opts in [
        Options::default(),
        Options {
            verify: false,
            recompute_stack: true,
        },
    ] {
        let built = crate::assemble(text, &with_build(opts));
        diags_in_bounds(text, &built.diags)?;
        if built.pyc.is_some() && built.diags.iter().any(Diag::is_error) {
            return Err("built despite errors".into());
        }
        let Some(pyc) = built.pyc else {
            continue;
        };
        let (_, code) =
            pyc::read_pyc(&pyc).map_err(|e| format!("what was built does not read: {e}"))?;
        if Some(&code) != built.code.as_ref() {
            return Err("what was built reads back as another code object".into());
        }
        pyc_roundtrip(&pyc).map_err(|e| format!("what was built: {e}"))?;
    }
    Ok(())
}

fn diags_in_bounds(text: &str, diags: &[Diag]) -> Result<(), String> {
    let lines = LineIndex::new(text);
    for d in diags {
        let spans = std::iter::once(&d.span).chain(d.notes.iter().map(|(s, _)| s));
        for s in spans {
            if s.start > s.end || s.end > text.len() {
                return Err(format!(
                    "diagnostic {} placed at {s:?}, outside the {} bytes of text: {}",
                    d.code,
                    text.len(),
                    d.message
                ));
            }
            let _ = lines.line_col(s.start);
        }
        if d.message.is_empty() {
            return Err(format!("diagnostic {} without a message", d.code));
        }
    }
    let _ = crate::diag::render("fuzz.pyasm", text, diags, false);
    Ok(())
}

/// Default text options but for how to build.
fn with_build(build: Options) -> crate::TextOptions<'static> {
    crate::TextOptions {
        build,
        ..Default::default()
    }
}
