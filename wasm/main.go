//go:build js && wasm

// Command wasm is the browser SDK's Go side. npm/index.js puts an object at
// globalThis.__imwasm with a ready() callback before it runs this program;
// main registers the SDK's functions on it (jsbridge) and calls ready.
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
	select {} // serve calls until the page goes away
}
