package tether_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// peer is one of the repository's protocol servers (tests/peers/*.js: a real socket.io server,
// a real graphql-ws server, a Pusher server...), run with node. It prints {"port":N} once it
// listens on 127.0.0.1 and exits when its stdin ends.
type peer struct {
	Port int `json:"port"`

	cmd   *exec.Cmd
	stdin io.Closer
}

const peerEnvHelp = "TETHER_PEERS_DIR must name the repository's tests/peers with its npm packages " +
	"installed (test.sh sets it; the default is ../../tests/peers), and node must be on PATH (or in NODE)"

// startPeer starts tests/peers/<script> for the test, stopped when the test ends.
func startPeer(t testing.TB, script string) *peer {
	t.Helper()
	dir := os.Getenv("TETHER_PEERS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "tests", "peers")
	}
	path := filepath.Join(dir, script)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v; %s", err, peerEnvHelp)
	}
	node := os.Getenv("NODE")
	if node == "" {
		node = "node"
	}
	cmd := exec.Command(node, path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr // the peer's log, shown when a test fails
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v; %s", script, err, peerEnvHelp)
	}
	p := &peer{cmd: cmd, stdin: stdin}
	// A peer that never gets to listen is killed, which ends the read below.
	killer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	killer.Stop()
	if err == nil {
		err = json.Unmarshal([]byte(line), p)
	}
	if err != nil || p.Port == 0 {
		p.stop()
		t.Fatalf("reading the first line of %s (%q): %v", script, line, err)
	}
	t.Cleanup(p.stop)
	return p
}

// stop closes the peer's stdin, which ends it, and waits for it (killing it after 5 s).
func (p *peer) stop() {
	_ = p.stdin.Close()
	killer := time.AfterFunc(5*time.Second, func() { _ = p.cmd.Process.Kill() })
	_ = p.cmd.Wait()
	killer.Stop()
}

func (p *peer) url(path string) string { return fmt.Sprintf("ws://127.0.0.1:%d%s", p.Port, path) }

// checkGoroutines fails the test when goroutines outlive its clients. Call it before making
// them: cleanups run last-in first-out, so its check runs after their Close.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := baselineGoroutines()
	t.Cleanup(func() {
		if after := settledGoroutines(before); after > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
		}
	})
}
