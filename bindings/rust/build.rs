//! Finds libtether and tells rustc how to link it.
//!
//! Order: `TETHER_LIB_DIR` (with optional `TETHER_INCLUDE_DIR`) when set, else the
//! `pkg-config --libs --cflags tether` command. The library directory is also written as an rpath
//! of this package's tests and examples, so `cargo test` runs without `LD_LIBRARY_PATH`.

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// The header version this crate's `sys` module mirrors.
const EXPECTED_MAJOR: u32 = 0;
const EXPECTED_MINOR: u32 = 1;

struct Found {
    lib_dirs: Vec<PathBuf>,
    include_dirs: Vec<PathBuf>,
    how: String,
}

fn main() {
    for var in ["TETHER_LIB_DIR", "TETHER_INCLUDE_DIR", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let found = match env::var_os("TETHER_LIB_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => from_lib_dir(PathBuf::from(dir)),
        None => match from_pkg_config() {
            Ok(found) => found,
            Err(why) => panic!(
                "\n\ntether: cannot find the native library libtether.\n  \
                 TETHER_LIB_DIR is not set, and pkg-config did not find it: {why}\n  \
                 Fix one of:\n    \
                 - export TETHER_LIB_DIR=/path/to/prefix/lib   (the directory holding libtether.so;\n      \
                   optionally TETHER_INCLUDE_DIR=/path/to/prefix/include)\n    \
                 - export PKG_CONFIG_PATH=/path/to/prefix/lib/pkgconfig   (holding tether.pc)\n\n"
            ),
        },
    };

    for dir in &found.lib_dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
        // Tests and examples of this package run straight from target/ without LD_LIBRARY_PATH.
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
    println!("cargo:rustc-link-lib=dylib=tether");
    if let Some(dir) = found.lib_dirs.first() {
        // Visible to crates that depend on this one as DEP_TETHER_LIB_DIR.
        println!("cargo:lib_dir={}", dir.display());
    }
    check_header_version(&found);
}

fn from_lib_dir(dir: PathBuf) -> Found {
    if !dir.is_dir() {
        panic!("\n\ntether: TETHER_LIB_DIR={} is not a directory.\n\n", dir.display());
    }
    let has_lib = ["libtether.so", "libtether.dylib", "tether.lib", "libtether.a"]
        .iter()
        .any(|name| dir.join(name).exists());
    if !has_lib {
        panic!(
            "\n\ntether: TETHER_LIB_DIR={} holds no libtether.so (nor .dylib/.lib/.a).\n\n",
            dir.display()
        );
    }
    let include_dirs = match env::var_os("TETHER_INCLUDE_DIR").filter(|v| !v.is_empty()) {
        Some(inc) => vec![PathBuf::from(inc)],
        None => dir.parent().map(|p| vec![p.join("include")]).unwrap_or_default(),
    };
    Found { lib_dirs: vec![dir], include_dirs, how: "TETHER_LIB_DIR".into() }
}

fn from_pkg_config() -> Result<Found, String> {
    let output = Command::new("pkg-config")
        .args(["--libs", "--cflags", "tether"])
        .output()
        .map_err(|e| format!("could not run `pkg-config` ({e})"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("`pkg-config --libs --cflags tether` failed: {}", stderr.trim()));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut found = Found { lib_dirs: Vec::new(), include_dirs: Vec::new(), how: "pkg-config".into() };
    for flag in text.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            found.lib_dirs.push(PathBuf::from(dir));
        } else if let Some(dir) = flag.strip_prefix("-I") {
            found.include_dirs.push(PathBuf::from(dir));
        }
    }
    Ok(found)
}

/// Warns (does not fail) when the header next to the library is a version whose ABI this crate
/// may not match: another major, or an older minor that lacks symbols the crate uses.
fn check_header_version(found: &Found) {
    let Some(header) = found.include_dirs.iter().map(|d| d.join("tether.h")).find(|p| p.is_file()) else {
        return;
    };
    println!("cargo:rerun-if-changed={}", header.display());
    let Ok(text) = fs::read_to_string(&header) else { return };
    let (Some(major), Some(minor)) =
        (define_value(&text, "TETHER_VERSION_MAJOR"), define_value(&text, "TETHER_VERSION_MINOR"))
    else {
        return;
    };
    if major != EXPECTED_MAJOR || minor < EXPECTED_MINOR {
        println!(
            "cargo:warning=tether: {} (found through {}) is version {major}.{minor}; this crate \
             mirrors {EXPECTED_MAJOR}.{EXPECTED_MINOR}",
            header.display(),
            found.how
        );
    }
}

fn define_value(header: &str, name: &str) -> Option<u32> {
    header.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some("#define") && words.next() == Some(name))
            .then(|| words.next()?.parse().ok())
            .flatten()
    })
}
