// Command quickstart connects to a WebSocket echo endpoint, sends one JSON message, prints the
// reply and closes gracefully.
//
//	go run ./examples/quickstart ws://127.0.0.1:PORT/echo
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	tether "github.com/tether-ws/tether/bindings/go"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: quickstart ws://host:port/path")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client, err := tether.Dial(ctx, os.Args[1],
		tether.WithMessageFormat(tether.FormatJSON),
		tether.WithReconnect(3, 200*time.Millisecond, 0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // e.g. errors.Is(err, tether.ErrAuth)
		os.Exit(1)
	}
	fmt.Println("Connected!")

	if err := client.SendJSON(map[string]string{"type": "chat", "message": "Hello!"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	for ev := range client.Events() {
		switch ev.Type {
		case tether.EventState:
			fmt.Println("State:", ev.State)
		case tether.EventMessage:
			fmt.Printf("Received: %s\n", ev.Data)
		}
		if ev.Type == tether.EventMessage {
			break
		}
	}

	if err := client.CloseWith(ctx, 1000, "User logged out"); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	for ev := range client.Events() { // what is left; the channel closes when Close returns
		if ev.Type == tether.EventClose {
			fmt.Println("Closed:", ev.Code, tether.CloseCodeString(ev.Code))
		}
	}
}
