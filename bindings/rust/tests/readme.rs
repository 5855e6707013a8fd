//! The README's quick start is examples/quickstart.rs, verbatim, and it runs against a server.

mod common;

#[allow(dead_code)] // its main() is for `cargo run --example quickstart`
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[test]
fn the_readme_quick_start_is_the_example() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/quickstart.rs");
    assert!(readme.contains(example), "README.md must quote examples/quickstart.rs verbatim");
}

#[test]
fn the_quick_start_runs() {
    let server = common::TestServer::start();
    quickstart::run(&server.ws_url("/echo")).expect("the quick start against /echo");
}
