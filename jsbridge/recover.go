//go:build js && wasm

package jsbridge

import (
	"fmt"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// recovered is deferred by every Go function JavaScript calls (through
// funcOf) and by every goroutine jsbridge starts: a panic left to unwind
// there ends the wasm program, and every later call hangs. It turns the
// panic into a log line and, when fail is set, an error for the call that
// panicked (-1, "internal error": the code the API gives what it cannot
// say more of). Defer it directly, as in
//
//	defer recovered(b.log, "connect", func(err error) { done(nil, err) })
//
// (recover works only when called by the deferred function itself). A nil
// log writes to the console.
func recovered(log client.Logger, what string, fail func(error)) {
	r := recover()
	if r == nil {
		return
	}
	if log == nil {
		log = &consoleLogger{level: client.LevelError}
	}
	log.Log(client.LevelError, "imwasm: "+what+" panicked", "panic", fmt.Sprint(r))
	if fail != nil {
		fail(codes.New(codes.Timeout, "internal error"))
	}
}

// funcOf is safejs.FuncOf for every function Go hands to JavaScript (the
// SDK's functions, IndexedDB and WebSocket callbacks): a panic in fn
// becomes a log line and the value onPanic makes of the error (nil:
// undefined) is what JavaScript gets back.
func funcOf(log client.Logger, what string, fn func(args []safejs.Value) any, onPanic func(error) any) (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) (ret any) {
		var fail func(error)
		if onPanic != nil {
			fail = func(err error) { ret = onPanic(err) }
		}
		defer recovered(log, what, fail)
		return fn(args)
	})
}
