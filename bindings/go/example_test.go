package tether_test

import (
	"context"
	"fmt"
	"time"

	tether "github.com/tether-ws/tether/bindings/go"
)

// Connect, send a JSON message, print what comes back, and close gracefully.
func Example() {
	url := exampleURL("/echo") // ws://127.0.0.1:PORT/echo of a running tether-test-server

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := tether.Dial(ctx, url, tether.WithMessageFormat(tether.FormatJSON))
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	fmt.Println("Connected!")

	if err := client.SendJSON(map[string]string{"type": "chat", "message": "Hello!"}); err != nil {
		fmt.Println("send:", err)
	}
	for ev := range client.Events() {
		if ev.Type == tether.EventMessage {
			fmt.Printf("Received: %s\n", ev.Data)
			break
		}
	}

	if err := client.CloseWith(ctx, 1000, "User logged out"); err != nil {
		fmt.Println("close:", err)
	}
	for ev := range client.Events() { // the rest, up to the close; then the channel is closed
		if ev.Type == tether.EventClose {
			fmt.Println("Closed:", ev.Code, ev.Text)
		}
	}
	// Output:
	// Connected!
	// Received: {"message":"Hello!","type":"chat"}
	// Closed: 1000 User logged out
}
