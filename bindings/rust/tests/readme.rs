//! The README's quick starts are examples/quickstart.rs and examples/socketio.rs, verbatim, and
//! they run: the first against tether-test-server, the second against a real Socket.IO server.

mod common;

#[allow(dead_code)] // its main() is for `cargo run --example quickstart`
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[allow(dead_code)] // its main() is for `cargo run --example socketio`
#[path = "../examples/socketio.rs"]
mod socketio;

#[test]
fn the_readme_quick_starts_are_the_examples() {
    let readme = include_str!("../README.md");
    let quick_start = include_str!("../examples/quickstart.rs");
    assert!(readme.contains(quick_start), "README.md must quote examples/quickstart.rs verbatim");
    let providers = include_str!("../examples/socketio.rs");
    assert!(readme.contains(providers), "README.md must quote examples/socketio.rs verbatim");
}

#[test]
fn the_quick_start_runs() {
    let server = common::TestServer::start();
    quickstart::run(&server.ws_url("/echo")).expect("the quick start against /echo");
}

#[test]
fn the_providers_quick_start_runs() {
    let peer = common::Peer::node("socketio.js");
    socketio::run(&peer.ws_url("/socket.io/")).expect("the providers quick start against socket.io");
}
