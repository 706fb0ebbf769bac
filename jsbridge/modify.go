//go:build js && wasm

package jsbridge

import (
	"context"
	"slices"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// This file: changes to one held message: editing (RongIMLib 5.26+), its
// received status.

// modifyWork edits uid of c to content.
func modifyWork(eng *client.Engine, c client.Conversation, uid string, content []byte) work {
	return func() (any, error) {
		_, err := eng.ModifyMessage(context.Background(), c, uid, content)
		return nil, err
	}
}

// modifyMessageWithParams({messageUId, messageContent, conversation})
func (b *Bridge) modifyWithParams(args []safejs.Value) (work, error) {
	eng, params, err := b.withParams(args)
	if err != nil {
		return nil, err
	}
	uid, err := reqString(params, "messageUId")
	if err != nil {
		return nil, err
	}
	c, err := convField(params, "conversation")
	if err != nil {
		return nil, err
	}
	content, err := contentArg(params, "messageContent")
	if err != nil {
		return nil, err
	}
	return modifyWork(eng, c, uid, content), nil
}

// modifyMessage(content, message): the older form, message being the
// IAReceivedMessage to edit.
func (b *Bridge) modifyMessage(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	content := arg(args, 0)
	if err := object(content, "content"); err != nil {
		return nil, err
	}
	text, err := jsonStringify(content, "content")
	if err != nil {
		return nil, err
	}
	msg := arg(args, 1)
	c, err := conversationArg(msg)
	if err != nil {
		return nil, err
	}
	uid, err := reqString(msg, "messageUId")
	if err != nil {
		return nil, err
	}
	return modifyWork(eng, c, uid, text), nil
}

// contentArg reads obj[key], a content object, as JSON text.
func contentArg(obj safejs.Value, key string) ([]byte, error) {
	v, err := field(obj, key)
	if err != nil {
		return nil, err
	}
	return objectContent(v, key)
}

// objectContent is a message's content: a plain object (what every
// vendor's content is; a Map or an array would be lost or misread), as
// JSON text.
func objectContent(v safejs.Value, name string) ([]byte, error) {
	if err := plainObject(v, name); err != nil {
		return nil, err
	}
	return jsonStringify(v, name)
}

// setMessageReceivedStatus(messageId, receivedStatus): this device's
// received status of a message it holds (ReceivedStatus bits).
func (b *Bridge) setReceivedStatus(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	id, err := asInt(arg(args, 0), "messageId")
	if err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, codes.New(codes.InvalidParameterMessageID, "messageId must be positive")
	}
	status, err := asInt32(arg(args, 1), "receivedStatus")
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		return nil, eng.SetReceivedStatus(context.Background(), id, status)
	}, nil
}

// __referencedMessages(conversationIdentifier, messageUIds, messageInfoMap)
// → IMessageResult[] for refreshReferenceMessageWithParams: for each quoting
// message (1-20), the message it quotes (messageInfoMap: quoting uid →
// quoted uid) as the server now has it, or RC_DB_DATA_NOT_FOUND.
// npm/index.js hands the list to the app's callbacks.
func (b *Bridge) referencedMessages(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	quoting, err := asStrings(arg(args, 1), "messageUIds")
	if err != nil {
		return nil, err
	}
	if len(quoting) == 0 || len(quoting) > 20 {
		return nil, codes.New(codes.InvalidParameterCount, "messageUIds: 1-20")
	}
	refs, err := asStringMap(arg(args, 2), "messageInfoMap")
	if err != nil {
		return nil, err
	}
	var quoted []string
	for _, q := range quoting {
		if r, ok := refs[q]; ok && r != "" && !slices.Contains(quoted, r) {
			quoted = append(quoted, r)
		}
	}
	return func() (any, error) {
		byUID := map[string]*client.Message{}
		if len(quoted) > 0 {
			ms, err := eng.RemoteMessages(context.Background(), c, quoted)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				byUID[m.MessageUID] = m
			}
		}
		out := make([]any, len(quoting))
		for i, q := range quoting {
			if m := byUID[refs[q]]; m != nil {
				out[i] = map[string]any{"code": 0, "messageUId": q, "message": messageJS(m)}
			} else {
				out[i] = map[string]any{"code": codes.DBDataNotFound, "messageUId": q}
			}
		}
		return out, nil
	}, nil
}
