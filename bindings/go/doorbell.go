package tether

// The poller's doorbell. While the queue of events is empty the poller parks in Go (no OS thread
// held) instead of waiting inside the library: a program with 10,000 clients has 10,000 parked
// goroutines, not 10,000 threads blocked in C. The library calls tg_on_event (capi.go) with
// READY on its I/O thread when the queue goes from empty to non-empty; when the poller has armed
// the bell before parking, tgDoorbellRing wakes it. A busy poller leaves the bell unarmed, so a
// stream of messages makes no calls into Go from the library's thread.
//
// This file holds the functions exported to C, and cgo allows only declarations in the C part
// of such a file: the callbacks that call them are defined in capi.go.

/*
#include <stdint.h>
*/
import "C"

import "runtime/cgo"

// doorbell holds at most one ring: a ring while one is pending changes nothing, as the poller
// looks at the whole queue after it wakes.
type doorbell chan struct{}

func newDoorbell() doorbell { return make(doorbell, 1) }

// ring never blocks: it runs on the library's I/O thread, which serves every other client too.
func (b doorbell) ring() {
	select {
	case b <- struct{}{}:
	default:
	}
}

//export tgDoorbellRing
func tgDoorbellRing(h C.uintptr_t) { cgo.Handle(h).Value().(doorbell).ring() }

// tgDoorbellRelease runs once, after the client's last callback (release_user_data).
//
//export tgDoorbellRelease
func tgDoorbellRelease(h C.uintptr_t) { cgo.Handle(h).Delete() }
