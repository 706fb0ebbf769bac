//go:build js && wasm

// Package jsfunc is the one recover every Go function handed to JavaScript
// goes through, shared by jsbridge (the SDK's functions, WebSocket
// callbacks, its goroutines) and jsbridge/idbstore (IndexedDB callbacks):
// a panic left to unwind there ends the wasm program, and every later call
// hangs. It also holds the console logger those panics are written to.
package jsfunc

import (
	"fmt"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// Recovered is deferred by every Go function JavaScript calls (through
// FuncOf) and by every goroutine jsbridge starts. It turns a panic into a
// log line and, when fail is set, an error for the call that panicked (-1,
// "internal error": the code the API gives what it cannot say more of).
// Defer it directly, as in
//
//	defer jsfunc.Recovered(b.log, "connect", func(err error) { done(nil, err) })
//
// (recover works only when called by the deferred function itself). A nil
// log writes to the console.
func Recovered(log client.Logger, what string, fail func(error)) {
	r := recover()
	if r == nil {
		return
	}
	if log == nil {
		log = NewConsole(client.LevelError)
	}
	log.Log(client.LevelError, "imwasm: "+what+" panicked", "panic", fmt.Sprint(r))
	if fail != nil {
		fail(codes.New(codes.Timeout, "internal error"))
	}
}

// FuncOf is safejs.FuncOf for every function Go hands to JavaScript (the
// SDK's functions, IndexedDB and WebSocket callbacks): a panic in fn
// becomes a log line and the value onPanic makes of the error (nil:
// undefined) is what JavaScript gets back.
func FuncOf(log client.Logger, what string, fn func(args []safejs.Value) any, onPanic func(error) any) (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) (ret any) {
		var fail func(error)
		if onPanic != nil {
			fail = func(err error) { ret = onPanic(err) }
		}
		defer Recovered(log, what, fail)
		return fn(args)
	})
}
