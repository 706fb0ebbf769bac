//go:build js && wasm

package jsfunc

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
)

// Console writes the engine's log lines to the JS console at or above a
// level: init's logLevel, or Recovered's when no logger is given.
type Console struct {
	level int32
}

// NewConsole returns a Console writing lines at or above level.
func NewConsole(level int) *Console { return &Console{level: int32(level)} }

// SetLevel sets the level from init's logLevel: "debug", "info", "warn"
// (default), "error", "none".
func (l *Console) SetLevel(s string) {
	lv := int32(client.LevelWarn)
	switch strings.ToLower(s) {
	case "debug":
		lv = client.LevelDebug
	case "info":
		lv = client.LevelInfo
	case "error":
		lv = client.LevelError
	case "none":
		lv = client.LevelError + 1
	}
	atomic.StoreInt32(&l.level, lv)
}

// Log implements client.Logger.
func (l *Console) Log(level int, msg string, kv ...any) {
	if int32(level) < atomic.LoadInt32(&l.level) {
		return
	}
	var sb strings.Builder
	sb.WriteString(msg)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&sb, " %v=%v", kv[i], kv[i+1])
	}
	method := "log"
	switch {
	case level >= client.LevelError:
		method = "error"
	case level >= client.LevelWarn:
		method = "warn"
	}
	if console, err := safejs.Global().Get("console"); err == nil {
		console.Call(method, "[imwasm] "+sb.String())
	}
}
