//go:build js && wasm

// Command wasm is the browser SDK's Go side. npm/index.js puts an object at
// globalThis.__imwasm with a ready() callback before it runs this program;
// main registers the SDK's functions on it (jsbridge) and calls ready; it
// closes them when index.js calls __close.
package main

import (
	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/jsbridge"
)

func main() {
	target, err := safejs.Global().Get("__imwasm")
	if err != nil || target.Type() != safejs.TypeObject {
		return // not loaded by npm/index.js
	}
	b := &jsbridge.Bridge{}
	if err := b.Register(target); err != nil {
		if console, cerr := safejs.Global().Get("console"); cerr == nil {
			console.Call("error", "[imwasm] register: "+err.Error())
		}
		return
	}
	if ready, err := target.Get("ready"); err == nil && ready.Type() == safejs.TypeFunction {
		ready.Invoke()
	}
	// Serve calls until the page goes away, or until a later init replaces
	// this runtime: then its engine closes, with its WebSocket and
	// database. main does not return: the program would end while Go's
	// runtime may have a timeout scheduled in JavaScript, whose firing then
	// throws (ending a Node process). Blocked, with nothing left that
	// JavaScript calls, the runtime is garbage to it once that timeout has
	// fired.
	<-b.CloseRequested()
	b.Close()
	select {}
}
