package tether_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tether "github.com/tether-ws/tether/bindings/go"
)

// testServer is one running tether-test-server (tests/server/README.md): its ports and PKI.
type testServer struct {
	WS             int    `json:"ws"`
	WSS            int    `json:"wss"`
	CAFile         string `json:"ca_file"`
	ClientCertFile string `json:"client_cert_file"`
	ClientKeyFile  string `json:"client_key_file"`

	cmd   *exec.Cmd
	stdin interface{ Close() error }
}

const serverEnvHelp = "TETHER_TEST_SERVER must name the tether-test-server binary " +
	"(bin/tether-test-server of a tether install; test.sh sets it)"

// launchServer starts the server with its stdin on a pipe, so that it dies with the test
// process, and reads its one JSON line.
func launchServer() (*testServer, error) {
	bin := os.Getenv("TETHER_TEST_SERVER")
	if bin == "" {
		return nil, fmt.Errorf(serverEnvHelp)
	}
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &testServer{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err == nil {
		err = json.Unmarshal([]byte(line), s)
	}
	if err != nil || s.WS == 0 {
		s.stop()
		return nil, fmt.Errorf("reading the first line of %s (%q): %v", bin, line, err)
	}
	return s, nil
}

func (s *testServer) stop() {
	s.stdin.Close()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// startServer gives the test its own server, stopped when the test ends.
func startServer(t testing.TB) *testServer {
	t.Helper()
	s, err := launchServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) url(path string) string { return fmt.Sprintf("ws://127.0.0.1:%d%s", s.WS, path) }

func (s *testServer) tlsURL(path string) string {
	return fmt.Sprintf("wss://localhost:%d%s", s.WSS, path)
}

// The Example shares one server, started on first use and stopped by TestMain.
var (
	exampleOnce   sync.Once
	exampleServer *testServer
)

func exampleURL(path string) string {
	exampleOnce.Do(func() {
		var err error
		if exampleServer, err = launchServer(); err != nil {
			panic(err)
		}
	})
	return exampleServer.url(path)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exampleServer != nil {
		exampleServer.stop()
	}
	os.Exit(code)
}

// recorder reads a client's events on its own goroutine, which ends when the channel closes.
type recorder struct {
	mu     sync.Mutex
	events []tether.Event
	done   chan struct{}
}

// record starts reading c's events; hook, if not nil, runs on each event as it arrives.
func record(c *tether.Client, hook func(tether.Event)) *recorder {
	r := &recorder{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ev := range c.Events() {
			if hook != nil {
				hook(ev)
			}
			r.mu.Lock()
			r.events = append(r.events, ev)
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *recorder) snapshot() []tether.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tether.Event(nil), r.events...)
}

// waitUntil waits until cond holds for the events so far, failing the test after timeout.
func (r *recorder) waitUntil(t *testing.T, timeout time.Duration, what string, cond func([]tether.Event) bool) []tether.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		evs := r.snapshot()
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; events: %v", timeout, what, evs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor waits for n events of type typ and returns them.
func (r *recorder) waitFor(t *testing.T, typ tether.EventType, n int) []tether.Event {
	t.Helper()
	evs := r.waitUntil(t, 10*time.Second, fmt.Sprintf("%d %s event(s)", n, typ), func(evs []tether.Event) bool {
		return len(ofType(evs, typ)) >= n
	})
	return ofType(evs, typ)
}

// waitState waits until the client has reported state s.
func (r *recorder) waitState(t *testing.T, s tether.State) {
	t.Helper()
	r.waitUntil(t, 10*time.Second, "state "+s.String(), func(evs []tether.Event) bool {
		for _, ev := range evs {
			if ev.Type == tether.EventState && ev.State == s {
				return true
			}
		}
		return false
	})
}

// closed waits until the recorder has read the last event of a closed client.
func (r *recorder) closed(t *testing.T) []tether.Event {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the Events channel was not closed")
	}
	return r.snapshot()
}

func ofType(evs []tether.Event, typ tether.EventType) []tether.Event {
	var out []tether.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func states(evs []tether.Event) []tether.State {
	var out []tether.State
	for _, ev := range ofType(evs, tether.EventState) {
		out = append(out, ev.State)
	}
	return out
}

func messages(evs []tether.Event) []string {
	var out []string
	for _, ev := range ofType(evs, tether.EventMessage) {
		out = append(out, string(ev.Data))
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
