//go:build js && wasm

// Command wasm is the browser SDK's Go side. For now it links the engine
// with the browser WebSocket and the memory store and exposes a minimal
// object, globalThis.__imwasm, so the wasm build measures the real engine;
// the RongIMLib-shaped API is registered here by the browser-SDK work.
package main

import (
	"context"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/jsbridge"
)

func main() {
	api, err := safejs.Global().Get("Object")
	if err == nil {
		api, err = api.New()
	}
	if err != nil {
		return
	}
	var eng *client.Engine
	connect, _ := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		if len(args) < 5 {
			return "connect(url, appKey, deviceId, token, WebSocket)"
		}
		str := func(v safejs.Value) string { s, _ := v.String(); return s }
		e, err := client.New(client.Config{
			URL: str(args[0]), AppKey: str(args[1]), DeviceID: str(args[2]),
			Store: memstore.New(), Dialer: jsbridge.Dialer{WebSocket: args[4]},
		})
		if err != nil {
			return err.Error()
		}
		eng = e
		go func() {
			_, err := eng.Connect(context.Background(), str(args[3]))
			if err != nil {
				return
			}
			eng.SendMessage(context.Background(), &client.Message{
				Conversation: client.Conversation{Type: client.Private, TargetID: "self"},
				ObjectName:   "RC:TxtMsg", Content: []byte(`{}`),
			}, client.SendOptions{})
			eng.LocalHistory(context.Background(), client.Conversation{Type: client.Private, TargetID: "self"}, 0, 20, false)
			eng.MarkRead(context.Background(), client.Conversation{Type: client.Private, TargetID: "self"}, 0)
			self := client.Conversation{Type: client.Private, TargetID: "self"}
			eng.GetHistory(context.Background(), self, 0, 20, client.OrderOlder)
			eng.SendTypingStatus(context.Background(), self, "RC:TxtMsg")
			eng.RecallMessage(context.Background(), self, "", 0, client.RecallOptions{})
		}()
		return nil
	})
	api.Set("connect", connect.Value())
	safejs.Global().Set("__imwasm", api)
	select {}
}
