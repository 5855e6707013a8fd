// Command socketio talks to a Socket.IO 4 server through the socketio provider preset: it
// listens for the "chat" event, emits one, prints what the server broadcasts back, and calls
// "add" with an acknowledgement.
//
//	go run ./examples/socketio ws://127.0.0.1:PORT/socket.io/
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
		fmt.Fprintln(os.Stderr, "usage: socketio ws://host:port/socket.io/")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client, err := tether.Dial(ctx, url,
		tether.WithProvider(tether.ProviderSocketIO), // Engine.IO 4, Socket.IO 5, the token in CONNECT
		tether.WithAuthToken("secret"))               // socket.handshake.auth.token on the server
	if err != nil {
		return err // a refused token is errors.Is(err, tether.ErrAuth)
	}
	defer client.Close(context.Background())
	go func() { // the client's own events: state changes, reconnects, errors
		for ev := range client.Events() {
			if ev.Type == tether.EventError {
				fmt.Fprintln(os.Stderr, "error:", ev.Err)
			}
		}
	}()
	fmt.Println("Connected!")

	chat, err := client.Subscribe("chat", nil) // listen for the "chat" event
	if err != nil {
		return err
	}
	// socket.emit("chat", {text: "Hello!"}); the server broadcasts it to every socket.
	if err := client.Publish("chat", map[string]string{"text": "Hello!"}); err != nil {
		return err
	}
	select {
	case m := <-chat.Messages():
		fmt.Printf("%s: %s\n", m.EventName, m.Payload)
	case <-ctx.Done():
		return ctx.Err()
	}

	// socket.emit("add", 2, 40, ack): an array is the argument list; the ack's is the result.
	sum, err := client.Request(ctx, "add", []int{2, 40})
	if err != nil {
		return err
	}
	fmt.Printf("add(2, 40) = %s\n", sum)
	return chat.Unsubscribe()
}
