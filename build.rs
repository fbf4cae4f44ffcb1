//! Builds the suites, the requirement catalogue, the fixtures and the snapshots into the binary
//! (`src/embedded.rs` reads the generated list), so that an installed `mscheck` runs from any
//! folder. Files on disk still win at run time.

use std::fmt::Write;
use std::path::{Path, PathBuf};

const FOLDERS: &[&str] = &["suites", "fixtures", "snapshots"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "__pycache__" || name.ends_with(".new") {
            continue;
        }
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut all = Vec::new();
    for f in FOLDERS {
        println!("cargo:rerun-if-changed={f}");
        files(&root.join(f), &mut all);
    }
    all.sort();
    // FNV-1a over names and contents: the extraction folder changes when any file does.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut list = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for p in &all {
        let rel = p
            .strip_prefix(&root)
            .expect("below the project")
            .to_string_lossy()
            .replace('\\', "/");
        for b in rel.bytes().chain(std::fs::read(p).expect("readable")) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        let _ = writeln!(
            list,
            "    ({rel:?}, include_bytes!({:?})),",
            p.display().to_string()
        );
    }
    list.push_str("];\n");
    let _ = writeln!(list, "pub const HASH: &str = \"{hash:016x}\";");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded.rs");
    std::fs::write(out, list).expect("OUT_DIR is writable");
}
