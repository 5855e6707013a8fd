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

// A Socket.IO server through the socketio provider preset: listen for an event, emit one, and
// call an event with an acknowledgement. (It needs a Socket.IO server, so it is compiled, not
// run: examples/socketio is the same program, which test.sh runs against a real one.)
func ExampleWithProvider() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := tether.Dial(ctx, "ws://127.0.0.1:3000/socket.io/",
		tether.WithProvider(tether.ProviderSocketIO), tether.WithAuthToken("secret"))
	if err != nil {
		fmt.Println("dial:", err) // a refused token is errors.Is(err, tether.ErrAuth)
		return
	}
	defer client.Close(context.Background())
	go func() {
		for range client.Events() { // state changes, reconnects, errors
		}
	}()

	chat, err := client.Subscribe("chat", nil) // socket.on("chat")
	if err != nil {
		fmt.Println("subscribe:", err)
		return
	}
	if err := client.Publish("chat", map[string]string{"text": "Hello!"}); err != nil { // socket.emit("chat", {...})
		fmt.Println("publish:", err)
	}
	m := <-chat.Messages()
	fmt.Printf("%s: %s\n", m.EventName, m.Payload) // chat: {"text":"Hello!"}

	sum, err := client.Request(ctx, "add", []int{2, 40}) // socket.emit("add", 2, 40, ack)
	if err != nil {
		fmt.Println("request:", err)
		return
	}
	fmt.Println("add(2, 40) =", string(sum)) // add(2, 40) = 42
}
