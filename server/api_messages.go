package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// maxAPITargets bounds one POST /v1/messages.
const maxAPITargets = 1000

// apiMessage is the body of POST /v1/messages.
type apiMessage struct {
	FromUserID          string            `json:"fromUserId"`
	ConversationType    int32             `json:"conversationType"`
	TargetIDs           []string          `json:"targetIds"`
	ObjectName          string            `json:"objectName"`
	Content             json.RawMessage   `json:"content"` // a JSON object, or a string holding one
	ClientMsgID         string            `json:"clientMsgId"`
	IsPersisted         *bool             `json:"isPersisted"`
	IsCounted           *bool             `json:"isCounted"`
	IsStatus            bool              `json:"isStatus"`
	DisableNotification bool              `json:"disableNotification"`
	PushContent         string            `json:"pushContent"`
	PushData            string            `json:"pushData"`
	DirectedUserIDs     []string          `json:"directedUserIds"`
	IsMentioned         bool              `json:"isMentioned"`
	MentionedInfo       *apiMention       `json:"mentionedInfo"`
	CanIncludeExpansion bool              `json:"canIncludeExpansion"`
	Expansion           map[string]string `json:"expansion"`
	ChannelID           string            `json:"channelId"` // an ultra group's channel ("" the default)
}

// apiMention is RongCloud's mentionedInfo in its server API's shape.
type apiMention struct {
	Type    int32    `json:"type"` // 1 ALL, 2 SINGAL
	UserIDs []string `json:"userIdList"`
	Content string   `json:"mentionedContent"`
}

func (m *apiMention) wire() *pb.MentionedInfo {
	if m == nil {
		return nil
	}
	return &pb.MentionedInfo{Type: m.Type, UserIds: m.UserIDs, Content: m.Content}
}

// apiSendMessages sends one message as fromUserId to every target (users
// for private messages, groups for group ones). A retried call with the same
// clientMsgId sends nothing twice: each target's copy is de-duplicated like
// an SDK resend, and the answer lists the first results.
func (s *Server) apiSendMessages(r *http.Request) (any, error) {
	var b apiMessage
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	out, err := s.appSend(r.Context(), &b)
	if err != nil {
		return nil, err
	}
	return map[string]any{"messages": out}, nil
}

// appSent is one target's copy of a message the app server sent.
type appSent struct {
	TargetID   string `json:"targetId"`
	MessageUID string `json:"messageUId"`
	SentTime   int64  `json:"sentTime"`
	Duplicate  bool   `json:"duplicate,omitempty"`
}

// appSend sends b as its fromUserId to every target: the rules of POST
// /v1/messages, for it and the vendors' server routes alike.
func (s *Server) appSend(ctx context.Context, b *apiMessage) ([]appSent, error) {
	content, err := s.checkAppMessage(b, true)
	if err != nil {
		return nil, err
	}
	if err := contract.CheckSentType(b.ObjectName); err != nil {
		return nil, &apiError{http.StatusBadRequest, codes.Of(err), err.Error()}
	}
	// Every target is checked before anything is sent.
	typ := pb.ConversationType(b.ConversationType)
	if typ == pb.ConversationType_GROUP {
		for _, g := range b.TargetIDs {
			gi, err := s.groups.get(ctx, g)
			if err != nil || gi.members[b.FromUserID] == 0 {
				return nil, &apiError{http.StatusBadRequest, codes.NotInGroup, b.FromUserID + " is not in group " + g}
			}
			for _, u := range b.DirectedUserIDs {
				if gi.members[u] == 0 {
					return nil, badRequest("directedUserIds names a user who is not in group " + g)
				}
			}
		}
	}
	if typ == pb.ConversationType_CHATROOM {
		for _, room := range b.TargetIDs {
			if _, err := s.store.Chatroom(ctx, room); err != nil {
				return nil, apiChatroomErr(err)
			}
		}
	}
	if typ == pb.ConversationType_ULTRA_GROUP { // the app server need not be a member
		for _, id := range b.TargetIDs {
			g, err := s.ultraGroups.get(ctx, id)
			if err != nil {
				return nil, apiUltraErr(ultraErr(err, 0))
			}
			if g.Channels[b.ChannelID] == nil {
				return nil, &apiError{http.StatusNotFound, codes.UltraGroupChannelIDNotExist, "ultra group " + id + " has no channel " + truncate(b.ChannelID, 64)}
			}
		}
	}
	// A client id naming another conversation's message is refused before
	// any target's copy is stored: a refusal changes nothing.
	for _, target := range b.TargetIDs {
		if b.IsStatus {
			break
		}
		prev, err := s.store.MessageByClientID(ctx, b.FromUserID, b.ClientMsgID+":"+target)
		if err != nil {
			return nil, err
		}
		if prev != nil && otherConversation(prev, b.wire(target, "", nil)) {
			return nil, badRequest("clientMsgId names a message of another conversation")
		}
	}
	out := make([]appSent, 0, len(b.TargetIDs))
	for _, target := range b.TargetIDs {
		// One client id per target, so a retried call finds each copy;
		// ':' never occurs in ids, so the pairs cannot collide.
		m := b.wire(target, b.ClientMsgID+":"+target, content)
		if b.IsStatus {
			now := time.Now()
			m.Uid, m.SentTime, m.IsStatus = s.uids.Next(now), now.UnixMilli(), true
			s.fanOut(ctx, m, "")
			out = append(out, appSent{TargetID: target, MessageUID: m.Uid, SentTime: m.SentTime})
			continue
		}
		convID := store.GroupConvID(target)
		switch typ {
		case pb.ConversationType_PRIVATE:
			convID = store.PrivateConvID(b.FromUserID, target)
		case pb.ConversationType_CHATROOM:
			convID = store.ChatroomConvID(target)
		case pb.ConversationType_ULTRA_GROUP:
			convID = store.UltraConvID(target, b.ChannelID)
		}
		var stored *pb.Message
		var dup bool
		if typ == pb.ConversationType_CHATROOM || typ == pb.ConversationType_ULTRA_GROUP {
			stored, dup, err = s.appendInOrder(ctx, convID, m, "")
		} else {
			stored, dup, err = s.store.Append(ctx, convID, m)
		}
		if typ == pb.ConversationType_CHATROOM && errors.Is(err, store.ErrNotFound) {
			return nil, &apiError{http.StatusNotFound, codes.RCChatroomNotExist, "chat room " + target + " was destroyed"}
		}
		if err != nil {
			return nil, err
		}
		if dup && otherConversation(stored, m) {
			return nil, badRequest("clientMsgId names a message of another conversation")
		}
		if typ == pb.ConversationType_CHATROOM || typ == pb.ConversationType_ULTRA_GROUP {
			out = append(out, appSent{TargetID: target, MessageUID: stored.Uid, SentTime: stored.SentTime, Duplicate: dup})
			continue
		}
		out = append(out, appSent{TargetID: target, MessageUID: stored.Uid, SentTime: stored.SentTime, Duplicate: dup})
		if dup {
			s.metrics.duplicates.Inc()
			continue
		}
		s.metrics.messages.Inc()
		s.fanOut(ctx, stored, "")
	}
	return out, nil
}

// checkAppMessage checks what b sends against the rules of POST
// /v1/messages (not who may send it where) and answers its content;
// perTarget: each target's copy has its own client id (appSend's).
func (s *Server) checkAppMessage(b *apiMessage, perTarget bool) ([]byte, error) {
	if !contract.ValidID(b.FromUserID) || !contract.ValidClientMsgID(b.ClientMsgID) {
		return nil, badRequest("fromUserId and clientMsgId must be ids of 1-64 characters [A-Za-z0-9_.@-] (a clientMsgId not beginning rc. rr. ed. ex. kv-: the server's own)")
	}
	typ := pb.ConversationType(b.ConversationType)
	switch typ {
	case pb.ConversationType_PRIVATE, pb.ConversationType_GROUP, pb.ConversationType_CHATROOM:
		if b.ChannelID != "" {
			return nil, badRequest("channelId is for ultra groups")
		}
	case pb.ConversationType_ULTRA_GROUP:
		if b.ChannelID != "" && !contract.ValidID(b.ChannelID) {
			return nil, badRequest("channelId must be 1-64 characters of [A-Za-z0-9_.@-]")
		}
	default:
		return nil, &apiError{http.StatusBadRequest, codes.InvalidParameterConversationType, "conversationType must be 1 (private), 3 (group), 4 (chat room) or 10 (ultra group)"}
	}
	if len(b.TargetIDs) == 0 || len(b.TargetIDs) > maxAPITargets || !validIDs(b.TargetIDs) {
		return nil, &apiError{http.StatusBadRequest, codes.InvalidParameterTargetID, "targetIds: 1-1000 ids"}
	}
	content := []byte(b.Content)
	var str string
	if json.Unmarshal(b.Content, &str) == nil {
		content = []byte(str)
	}
	if len(bytes.TrimSpace(content)) == 0 {
		return nil, badRequest("content required")
	}
	if len(b.DirectedUserIDs) > 0 && (typ != pb.ConversationType_GROUP || !validIDs(b.DirectedUserIDs)) {
		return nil, badRequest("directedUserIds: group messages only, at most 1000 ids")
	}
	// The limits an SDK's send is held to, for the longest target's copy.
	longest := slices.MaxFunc(b.TargetIDs, func(a, b string) int { return len(a) - len(b) })
	clientID := b.ClientMsgID
	if perTarget {
		clientID += ":" + longest
	}
	if err := contract.CheckSend(&pb.SendRequest{
		Conv: &pb.Conversation{Type: typ, Target: longest}, ClientMsgId: clientID,
		ObjectName: b.ObjectName, Content: content, PushContent: b.PushContent, PushData: b.PushData,
		DirectedUserIds: b.DirectedUserIDs, IsMentioned: b.IsMentioned, MentionedInfo: b.MentionedInfo.wire(),
		CanIncludeExpansion: b.CanIncludeExpansion, Expansion: b.Expansion,
	}, s.cfg.MaxContentBytes); err != nil {
		return nil, &apiError{http.StatusBadRequest, codes.Of(err), err.Error()}
	}
	if !validContent(content) { // (after its size: a huge text is refused as such)
		return nil, badRequest("content must be a JSON object (or a string holding one)")
	}
	return content, nil
}

// wire is b's copy for target, with client id clientID.
func (b *apiMessage) wire(target, clientID string, content []byte) *pb.Message {
	return &pb.Message{
		ConvType: pb.ConversationType(b.ConversationType), FromUser: b.FromUserID, To: target, Channel: b.ChannelID,
		ClientMsgId: clientID, ObjectName: b.ObjectName, Content: content,
		IsPersisted: b.IsPersisted == nil || *b.IsPersisted, IsCounted: b.IsCounted == nil || *b.IsCounted,
		DisableNotification: b.DisableNotification, PushContent: b.PushContent, PushData: b.PushData,
		DirectedUserIds: b.DirectedUserIDs, IsMentioned: b.IsMentioned, MentionedInfo: b.MentionedInfo.wire(),
		CanIncludeExpansion: b.CanIncludeExpansion, Expansion: b.Expansion,
	}
}
