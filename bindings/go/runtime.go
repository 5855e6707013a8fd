package tether

import (
	"runtime"
	"sync"
)

// Runtime is a set of library I/O threads that serves clients. One runtime serves thousands of
// clients; without one, clients share the library's default runtime with one thread.
type Runtime struct {
	mu     sync.Mutex
	native nativeRuntime
}

// NewRuntime starts a runtime with threads I/O threads (1 to 64).
func NewRuntime(threads int) (*Runtime, error) {
	n, err := newNativeRuntime(threads)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{native: n}
	runtime.SetFinalizer(rt, (*Runtime).Close)
	return rt, nil
}

// Close drops the program's reference to the runtime. It never blocks: clients made on it keep
// it running until they are closed. Later calls do nothing; new clients can no longer use it.
func (rt *Runtime) Close() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.native.p != nil {
		rt.native.destroy()
		rt.native = nativeRuntime{}
	}
	runtime.SetFinalizer(rt, nil)
}

// withNative runs f with the native runtime while it cannot be closed.
func (rt *Runtime) withNative(f func(nativeRuntime) error) error {
	if rt == nil {
		return f(nativeRuntime{})
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.native.p == nil {
		return &Error{Status: StatusClosed, Message: "the runtime is closed"}
	}
	return f(rt.native)
}
