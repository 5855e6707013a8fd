// Command tether-go-bench is the benchmark client of issue 8 through tether's Go binding
// ("tether-go" in bench/run.py).
//
//	tether-go-bench --url ws://127.0.0.1:PORT --mode rtt|pipeline|bulk|conns --count N
//	                --size BYTES [--window W] [--conns C]
//
// It prints one JSON line. The rules (warm-up, window, clock start, size checks, nearest-rank
// percentiles, memory from /proc) are those of bench/clients/bench_common.c, written again in
// Go so that the numbers compare with the C ABI client's. It uses the binding as its README
// does: a client made with tether.New, events read from Events(), the next message sent from
// the loop that reads them.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	tether "github.com/tether-ws/tether/bindings/go"
)

const (
	clientName = "tether-go"
	holdTime   = 200 * time.Millisecond // BENCH_HOLD_MS
)

type args struct {
	url    string
	mode   string
	count  int
	size   int
	window int
	conns  int
	tls    bool
}

func usage(problem string) {
	fmt.Fprintf(os.Stderr, "%s: %s\nusage: %s --url ws://127.0.0.1:PORT --mode rtt|pipeline|bulk|conns "+
		"--count N --size BYTES [--window W] [--conns C]\n", clientName, problem, clientName)
	os.Exit(2)
}

func fail(what string, err interface{}) {
	fmt.Fprintf(os.Stderr, "%s: %s: %v\n", clientName, what, err)
	os.Exit(1)
}

func parseNumber(flag, text string, min int) int {
	value, err := strconv.Atoi(text)
	if err != nil || value < min {
		usage(fmt.Sprintf("%s needs a whole number >= %d", flag, min))
	}
	return value
}

func parseArgs(argv []string) args {
	a := args{count: -1, conns: 1000}
	for i := 0; i < len(argv); i += 2 {
		if i+1 >= len(argv) {
			usage("every option takes a value")
		}
		flag, value := argv[i], argv[i+1]
		switch flag {
		case "--url":
			a.url = value
		case "--mode":
			a.mode = value
		case "--count":
			a.count = parseNumber(flag, value, 1)
		case "--size":
			a.size = parseNumber(flag, value, 0)
		case "--window":
			a.window = parseNumber(flag, value, 1)
		case "--conns":
			a.conns = parseNumber(flag, value, 1)
		default:
			usage("unknown option")
		}
	}
	if a.url == "" || a.mode == "" || a.count < 0 {
		usage("--url, --mode and --count are required")
	}
	switch a.mode {
	case "rtt":
		a.window = 1
	case "pipeline", "bulk", "conns":
		if a.window == 0 {
			a.window = 64
			if a.mode == "bulk" {
				a.window = 4
			}
		}
	default:
		usage("--mode must be rtt, pipeline, bulk or conns")
	}
	switch {
	case strings.HasPrefix(a.url, "wss://"):
		a.tls = true
	case !strings.HasPrefix(a.url, "ws://"):
		usage("--url must start with ws:// or wss://")
	}
	// The conns mode holds thousands of sockets.
	var files syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &files) == nil && files.Cur < files.Max {
		files.Cur = files.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &files)
	}
	return a
}

// payload is printable ASCII, so that it may go as text or binary.
func payload(size int) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	return data
}

// options: no reconnects (a failure must show), no JSON check on send, no certificate check
// (the server's is self-signed; every client skips it).
func options(a args) tether.Options {
	maxSize := int64(a.size) + 1024
	if maxSize < 16<<20 {
		maxSize = 16 << 20
	}
	return tether.Options{
		URL:                   a.url,
		MessageFormat:         tether.FormatText,
		DisableAutoReconnect:  true,
		MaxMessageSize:        maxSize,
		InsecureSkipTLSVerify: a.tls,
	}
}

func statusKB(field string) int64 {
	text, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(text), "\n") {
		if rest := strings.TrimPrefix(line, field+":"); rest != line {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				if kb, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
					return kb
				}
			}
		}
	}
	return -1
}

// percentileUs is the nearest-rank percentile in microseconds of sorted nanosecond samples.
func percentileUs(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return float64(sorted[rank-1]) / 1000
}

// jsonLine is the one line of a run; perConnKB < 0 prints null.
func jsonLine(a args, count int, seconds float64, samples []int64, perConnKB float64) string {
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	perSecond := func(amount float64) float64 {
		if seconds > 0 {
			return amount / seconds
		}
		return 0
	}
	perConn := "null"
	if perConnKB >= 0 {
		perConn = fmt.Sprintf("%.2f", perConnKB)
	}
	return fmt.Sprintf(`{"client":"%s","mode":"%s","count":%d,"size":%d,"seconds":%.6f,`+
		`"msgs_per_s":%.1f,"mb_per_s":%.3f,"p50_us":%.1f,"p99_us":%.1f,"rss_kb":%d,"rss_per_conn_kb":%s}`,
		clientName, a.mode, count, a.size, seconds, perSecond(float64(count)),
		perSecond(float64(count)*float64(a.size))/1e6, percentileUs(samples, 50), percentileUs(samples, 99),
		statusKB("VmHWM"), perConn)
}

// ---- rtt, pipeline, bulk: one connection (bench_flow of bench_common.c) ------------------------

type flow struct {
	warmup, total  int
	sent, received int
	window, size   int
	sendAt         []time.Time // ring of `window` send times
	rttNs          []int64     // one per measured message
	start, end     time.Time
	failed         bool // an echo of the wrong size came back
}

func newFlow(a args) *flow {
	warmup := a.count / 10
	if warmup > 1000 {
		warmup = 1000
	}
	return &flow{warmup: warmup, total: warmup + a.count, window: a.window, size: a.size,
		sendAt: make([]time.Time, a.window), rttNs: make([]int64, a.count)}
}

func (f *flow) begin() {
	if f.warmup == 0 {
		f.start = time.Now()
	}
}

func (f *flow) maySend() bool {
	if f.sent >= f.total || f.sent-f.received >= f.window {
		return false
	}
	// The measured part starts with nothing in flight.
	return f.sent != f.warmup || f.received == f.warmup
}

// sending is called before the send: a send may write to the socket before it returns.
func (f *flow) sending() {
	f.sendAt[f.sent%f.window] = time.Now()
	f.sent++
}

func (f *flow) receive(size int) {
	now := time.Now()
	index := f.received
	f.received++
	if size != f.size {
		f.failed = true
	}
	if index >= f.warmup {
		f.rttNs[index-f.warmup] = int64(now.Sub(f.sendAt[index%f.window]))
	}
	if f.received == f.warmup {
		f.start = now
	}
	if f.received == f.total {
		f.end = now
	}
}

func (f *flow) done() bool { return f.received >= f.total }

func runFlow(a args) int {
	f := newFlow(a)
	data := payload(a.size)
	text := string(data)
	send := func(c *tether.Client) error { return c.SendText(text) }
	if a.mode == "bulk" {
		send = func(c *tether.Client) error { return c.SendBinary(data) }
	}
	client, err := tether.New(options(a))
	if err != nil {
		fail("setting up a client", err)
	}
	if err := client.Connect(); err != nil {
		fail("connect", err)
	}
	sendWhileAllowed := func() {
		for f.maySend() {
			f.sending()
			if err := send(client); err != nil {
				fail("send", err)
			}
		}
	}
	closedEarly := false
loop:
	for ev := range client.Events() {
		switch ev.Type {
		case tether.EventOpen:
			f.begin()
			sendWhileAllowed()
		case tether.EventMessage:
			f.receive(len(ev.Data))
			if f.done() {
				break loop
			}
			sendWhileAllowed()
		case tether.EventError:
			fmt.Fprintf(os.Stderr, "%s: %v\n", clientName, ev.Err)
		case tether.EventClose:
			closedEarly = true
			break loop
		}
	}

	status := 0
	count := f.total - f.warmup
	line := jsonLine(a, count, f.end.Sub(f.start).Seconds(), f.rttNs, -1)
	switch {
	case closedEarly || !f.done():
		fmt.Fprintf(os.Stderr, "%s: the connection closed before the run ended\n", clientName)
		status = 1
	case f.failed:
		fmt.Fprintf(os.Stderr, "%s: an echo of the wrong size came back\n%s\n", clientName, line)
		status = 1
	default:
		fmt.Println(line)
	}
	// Close waits for the closing handshake, as tether-c does.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = client.Close(ctx)
	return status
}

// ---- conns: many connections, one echo each, then held (bench_conns of bench_common.c) ---------

type connsRun struct {
	mu      sync.Mutex
	echoed  int
	failed  bool
	end     time.Time
	openNs  []int64       // per connection: start to echo
	settled chan struct{} // closed once every connection echoed, or one closed first
	once    sync.Once
}

func runConns(a args) int {
	text := string(payload(a.size))
	run := &connsRun{openNs: make([]int64, a.conns), settled: make(chan struct{})}
	settle := func() { run.once.Do(func() { close(run.settled) }) }
	rssBefore := statusKB("VmRSS")
	clients := make([]*tether.Client, a.conns)
	var readers sync.WaitGroup
	start := time.Now()
	for i := range clients {
		started := time.Now()
		client, err := tether.New(options(a))
		if err != nil {
			fail("setting up a client", err)
		}
		// Queued until the connection is ready, then sent: one echo per connection.
		if err := client.Connect(); err != nil {
			fail("connect", err)
		}
		if err := client.SendText(text); err != nil {
			fail("send", err)
		}
		clients[i] = client
		readers.Add(1)
		go func(index int, events <-chan tether.Event) {
			defer readers.Done()
			echoed := false
			for ev := range events { // until Close has finished
				switch ev.Type {
				case tether.EventMessage:
					if echoed {
						continue
					}
					echoed = true
					now := time.Now()
					run.mu.Lock()
					run.openNs[index] = int64(now.Sub(started))
					run.echoed++
					last := run.echoed == a.conns
					if last {
						run.end = now
					}
					run.mu.Unlock()
					if last {
						settle()
					}
				case tether.EventError:
					fmt.Fprintf(os.Stderr, "%s: connection %d: %v\n", clientName, index, ev.Err)
				case tether.EventClose:
					if !echoed {
						run.mu.Lock()
						run.failed = true
						run.mu.Unlock()
						settle()
					}
				}
			}
		}(i, client.Events())
	}

	<-run.settled
	status := 0
	run.mu.Lock()
	failed, seconds := run.failed, run.end.Sub(start).Seconds()
	samples := append([]int64(nil), run.openNs...)
	run.mu.Unlock()
	if failed {
		fmt.Fprintf(os.Stderr, "%s: a connection closed before its echo\n", clientName)
		status = 1
	} else {
		time.Sleep(holdTime)
		perConn := float64(statusKB("VmRSS")-rssBefore) / float64(a.conns)
		if perConn < 0 {
			perConn = 0
		}
		fmt.Println(jsonLine(a, a.conns, seconds, samples, perConn))
	}

	var closing sync.WaitGroup
	for _, client := range clients {
		closing.Add(1)
		go func(client *tether.Client) {
			defer closing.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = client.Close(ctx)
		}(client)
	}
	closing.Wait()
	readers.Wait()
	return status
}

func main() {
	a := parseArgs(os.Args[1:])
	if a.mode == "conns" {
		os.Exit(runConns(a))
	}
	os.Exit(runFlow(a))
}
