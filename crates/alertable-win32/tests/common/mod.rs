//! Building C programs against `include/windows.h` and this crate's cdylib.
//!
//! The library is found beside the test binary: cargo builds the crate's library target
//! (cdylib, staticlib and rlib in one compiler run) before any of its integration tests,
//! and puts `libalertable_win32.so` in the same `deps` directory as the test executables,
//! so the test always links the library of the very build it belongs to. Programs link it
//! dynamically with an rpath to that directory: linking is fast (the staticlib would pull
//! all of std into every program) and the programs run without any environment set up.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate's `include` folder, holding `windows.h`.
pub(crate) fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}

/// The folder holding the cdylib of this build: the test binary's own folder.
pub(crate) fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .expect("the test binary's folder")
        .to_path_buf();
    assert!(
        dir.join("libalertable_win32.so").exists(),
        "libalertable_win32.so not found in {}",
        dir.display()
    );
    dir
}

/// A scratch folder for this test binary's build products.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// The C compiler: `$CC`, else `cc`.
pub(crate) fn c_compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_owned())
}

/// The C++ compiler: `$CXX`, else `c++`.
pub(crate) fn cxx_compiler() -> String {
    std::env::var("CXX").unwrap_or_else(|_| "c++".to_owned())
}

/// Runs a compiler command, failing the test with its diagnostics if it fails.
pub(crate) fn compile(mut command: Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run the compiler for {what}: {e} ({command:?})"));
    assert!(
        output.status.success(),
        "compiling {what} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compiles `source` (C11, all warnings as errors) into `exe`, linked with the library.
pub(crate) fn build_program(source: &Path, exe: &Path, extra: &[&str]) {
    let lib = library_dir();
    let mut cc = Command::new(c_compiler());
    cc.args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread"])
        .arg("-I")
        .arg(include_dir())
        .args(extra)
        .arg(source)
        .arg("-L")
        .arg(&lib)
        .arg("-lalertable_win32")
        .args(rpath_to(&lib))
        .arg("-o")
        .arg(exe);
    compile(cc, &source.display().to_string());
}

/// The linker flags that make a program load the library from `lib` and from nowhere else.
///
/// An `RPATH`, not the `RUNPATH` that `-rpath` gives by default: `cargo test` runs tests
/// with an `LD_LIBRARY_PATH` that also names `target/debug`, where an older
/// `libalertable_win32.so` from a `cargo build` may lie, and a `RUNPATH` yields to
/// `LD_LIBRARY_PATH` while an `RPATH` does not.
pub(crate) fn rpath_to(lib: &Path) -> [String; 2] {
    [
        "-Wl,--disable-new-dtags".to_owned(),
        format!("-Wl,-rpath,{}", lib.display()),
    ]
}

/// Runs a built program and returns its output.
pub(crate) fn run(exe: &Path) -> Output {
    Command::new(exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
}
