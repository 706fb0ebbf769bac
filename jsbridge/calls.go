//go:build js && wasm

package jsbridge

import (
	"context"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
)

// requestCall is one JS function that is one engine request: how its
// arguments fill the request, and how the result becomes its data (or an
// error that keeps data, such as subscribeUserStatus's 26021).
type requestCall[Req, Res any] struct {
	args   func(r Req, args []safejs.Value) error
	result func(Res) (any, error)
}

// requestFunctions makes the JS functions of calls: each reads its
// arguments into a request made by newReq(name) and runs it with send.
func requestFunctions[Req, Res any](b *Bridge, calls map[string]requestCall[Req, Res], newReq func(name string) Req,
	send func(eng *client.Engine, ctx context.Context, r Req) (Res, error)) map[string]func([]safejs.Value) (work, error) {
	out := make(map[string]func([]safejs.Value) (work, error), len(calls))
	for name, c := range calls {
		out[name] = func(args []safejs.Value) (work, error) {
			eng, err := b.engine()
			if err != nil {
				return nil, err
			}
			r := newReq(name)
			if err := c.args(r, args); err != nil {
				return nil, err
			}
			return func() (any, error) {
				res, err := send(eng, context.Background(), r)
				if err != nil {
					return nil, err
				}
				return c.result(res)
			}, nil
		}
	}
	return out
}

// strField and intField name an optional property of an argument object:
// where it is read to, and the bit that says it was given.
type strField struct {
	key string
	dst *string
	bit uint32
}

type intField struct {
	key string
	dst *int32
	bit uint32
}

// readFields reads the properties of obj that are present and returns the
// bits of those given.
func readFields(obj safejs.Value, strs []strField, ints []intField) (uint32, error) {
	var given uint32
	for _, f := range strs {
		v, err := field(obj, f.key)
		if err != nil {
			return 0, err
		}
		if !absent(v) {
			if *f.dst, err = asString(v, f.key); err != nil {
				return 0, err
			}
			given |= f.bit
		}
	}
	for _, f := range ints {
		v, err := field(obj, f.key)
		if err != nil {
			return 0, err
		}
		if !absent(v) {
			n, err := asInt32(v, f.key)
			if err != nil {
				return 0, err
			}
			*f.dst, given = n, given|f.bit
		}
	}
	return given, nil
}
