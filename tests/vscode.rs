//! The VS Code extension (editors/vscode): the `.vsix` that tests/run-all.sh
//! builds (`npm ci --prefix editors/vscode`, then `npm run --prefix
//! editors/vscode package`) holds what the extension needs, as it is in the
//! tree now; and the compiled extension, run against a stand-in for the
//! `vscode` module (editors/vscode/test/smoke.js), says what to do when
//! `pyasm` is missing and drives the real `pyasm lsp` through its two
//! commands.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vscode_dir() -> PathBuf {
    root().join("editors/vscode")
}

const PACKAGE_FIRST: &str =
    "run `npm ci --prefix editors/vscode && npm run --prefix editors/vscode package` \
     (tests/run-all.sh does)";

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One file of a zip archive, from its central directory.
struct Entry {
    name: String,
    crc32: u32,
    size: u64,
}

fn u16_at(b: &[u8], i: usize) -> usize {
    u16::from_le_bytes([b[i], b[i + 1]]) as usize
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// The files of a zip archive (a `.vsix` is one), read from the central
/// directory that the end-of-central-directory record points to.
fn zip_entries(zip: &[u8]) -> Vec<Entry> {
    let eocd = (0..=zip.len().saturating_sub(22))
        .rev()
        .find(|&i| zip[i..].starts_with(b"PK\x05\x06"))
        .expect("not a zip archive: no end of central directory");
    let count = u16_at(zip, eocd + 10);
    let mut at = u32_at(zip, eocd + 16) as usize;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        assert!(
            zip[at..].starts_with(b"PK\x01\x02"),
            "bad central directory"
        );
        let name_len = u16_at(zip, at + 28);
        let extra_len = u16_at(zip, at + 30);
        let comment_len = u16_at(zip, at + 32);
        out.push(Entry {
            name: String::from_utf8_lossy(&zip[at + 46..at + 46 + name_len]).into_owned(),
            crc32: u32_at(zip, at + 16),
            size: u64::from(u32_at(zip, at + 24)),
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn package_json() -> serde_json::Value {
    serde_json::from_slice(&read(&vscode_dir().join("package.json"))).expect("package.json")
}

fn vsix() -> PathBuf {
    let p = package_json();
    let name = format!(
        "{}-{}.vsix",
        p["name"].as_str().unwrap(),
        p["version"].as_str().unwrap()
    );
    vscode_dir().join(name)
}

#[test]
fn the_vsix_holds_the_extension_as_it_is_now() {
    let path = vsix();
    assert!(
        path.is_file(),
        "{} is missing: {PACKAGE_FIRST}",
        path.display()
    );
    let bytes = read(&path);
    let entries = zip_entries(&bytes);
    println!(
        "{}: {} bytes, {} files",
        path.strip_prefix(root()).unwrap().display(),
        bytes.len(),
        entries.len()
    );
    let find = |name: &str| entries.iter().find(|e| e.name == name);

    // The extension's own files, each the same as in the tree (vsce renames
    // the README to readme.md).
    for (inside, source) in [
        ("extension/package.json", "package.json"),
        ("extension/out/extension.js", "out/extension.js"),
        (
            "extension/syntaxes/pyasm.tmLanguage.json",
            "syntaxes/pyasm.tmLanguage.json",
        ),
        (
            "extension/language-configuration.json",
            "language-configuration.json",
        ),
        ("extension/readme.md", "README.md"),
    ] {
        let entry = find(inside)
            .unwrap_or_else(|| panic!("{} has no {inside}: {PACKAGE_FIRST}", path.display()));
        let data = read(&vscode_dir().join(source));
        assert!(
            entry.size == data.len() as u64 && entry.crc32 == crc32(&data),
            "{inside} in {} is not editors/vscode/{source} as it is now: {PACKAGE_FIRST}",
            path.display()
        );
    }
    assert!(find("extension.vsixmanifest").is_some());

    // The runtime dependency is in; the sources and the build and test
    // tools are not.
    assert!(
        find("extension/node_modules/vscode-languageclient/package.json").is_some(),
        "vscode-languageclient is not packaged"
    );
    for e in &entries {
        for banned in [
            "extension/src/",
            "extension/scripts/",
            "extension/test/",
            "extension/node_modules/typescript/",
            "extension/node_modules/@vscode/vsce/",
            "extension/node_modules/vscode-textmate/",
            "extension/node_modules/vscode-oniguruma/",
        ] {
            assert!(
                !e.name.starts_with(banned),
                "{} should not be packaged",
                e.name
            );
        }
        assert!(
            !e.name.ends_with(".ts"),
            "{} should not be packaged",
            e.name
        );
    }
}

/// What the package.json promises: the language, its grammar and
/// configuration, the commands and the server's settings.
#[test]
fn package_json_contributes_the_language_commands_and_settings() {
    let p = package_json();
    let c = &p["contributes"];
    assert_eq!(c["languages"][0]["id"], "pyasm");
    assert_eq!(c["languages"][0]["extensions"][0], ".pyasm");
    assert_eq!(c["grammars"][0]["scopeName"], "source.pyasm");
    for f in [
        c["languages"][0]["configuration"].as_str().unwrap(),
        c["grammars"][0]["path"].as_str().unwrap(),
    ] {
        assert!(vscode_dir().join(f).is_file(), "{f}");
    }
    let commands: Vec<&str> = c["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["command"].as_str().unwrap())
        .collect();
    for id in ["pyasm.buildPyc", "pyasm.disassemblePyc"] {
        assert!(commands.contains(&id), "{id}");
    }
    // The client registers the server's own commands under their names.
    for id in ["pyasm.build", "pyasm.disassemble"] {
        assert!(
            !commands.contains(&id),
            "{id} would clash with the server's"
        );
    }
    let settings = c["configuration"]["properties"].as_object().unwrap();
    for key in [
        "pyasm.server.path",
        "pyasm.defaultVersion",
        "pyasm.outputDir",
        "pyasm.inlayHints",
        "pyasm.maxDiagnostics",
        "pyasm.severities",
    ] {
        assert!(settings.contains_key(key), "{key}");
    }
    let versions: Vec<&str> = settings["pyasm.defaultVersion"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let supported: Vec<&str> = pyasm::versions::Version::ALL
        .iter()
        .map(|v| v.as_str())
        .collect();
    assert_eq!(versions, supported);
    assert!(p["engines"]["vscode"].is_string());
    assert!(p["activationEvents"]
        .as_array()
        .unwrap()
        .contains(&"onLanguage:pyasm".into()));
    // `npm ci` needs the lock.
    assert!(vscode_dir().join("package-lock.json").is_file());
}

fn smoke(args: &[&dyn AsRef<std::ffi::OsStr>]) {
    let dir = vscode_dir();
    assert!(
        dir.join("out/extension.js").is_file() && dir.join("node_modules").is_dir(),
        "the extension is not built: {PACKAGE_FIRST}"
    );
    let node = std::env::var("PYASM_NODE").unwrap_or_else(|_| "node".to_string());
    let out = Command::new(&node)
        .arg(dir.join("test/smoke.js"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {node}: {e} (tests/run-all.sh installs Node)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "test/smoke.js failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn without_pyasm_the_extension_says_how_to_install_it() {
    smoke(&[&"missing"]);
}

#[test]
fn the_commands_build_and_disassemble_through_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_pyasm"));
    let pyc = tmp.path().join("hello.pyc");
    let status = Command::new(&exe)
        .arg("build")
        .arg(root().join("examples/3.11/hello.pyasm"))
        .arg("-o")
        .arg(&pyc)
        .status()
        .unwrap();
    assert!(status.success());
    let good = tmp.path().join("sample.pyasm");
    std::fs::copy(root().join("tests/data/highlight_sample.pyasm"), &good).unwrap();
    let bad = tmp.path().join("broken.pyasm");
    std::fs::write(&bad, ".code m\n    NOT_AN_OPCODE 1\n").unwrap();
    smoke(&[
        &"commands",
        &exe.parent().unwrap(),
        &pyc.as_path(),
        &good.as_path(),
        &bad.as_path(),
    ]);
    assert!(tmp.path().join("out-pyc/sample.pyc").is_file());
}
