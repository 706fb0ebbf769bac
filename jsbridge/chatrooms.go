//go:build js && wasm

package jsbridge

import (
	"context"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// This file: RongIMLib's chat rooms (joinChatRoom … getAllChatRoomEntries)
// and Events.CHATROOM. Messages to a room are sendMessage with
// conversationType 4; its history is getChatroomHistoryMessages (index.js:
// getRemoteHistoryMessages of the room).

func (b *Bridge) chatroomFunctions() map[string]func([]safejs.Value) (work, error) {
	room := func(r *pb.ChatroomRequest, args []safejs.Value) (err error) {
		r.Room, err = asString(arg(args, 0), "targetId")
		return err
	}
	// roomOptions reads the room and returns its options object (args[1]).
	roomOptions := func(r *pb.ChatroomRequest, args []safejs.Value) (safejs.Value, error) {
		if err := room(r, args); err != nil {
			return safejs.Undefined(), err
		}
		o := arg(args, 1)
		return o, object(o, "options")
	}
	// entry reads {key, value?, isSendNotification?, notificationExtra?,
	// isAutoDelete?} into one entry (setting) or one key (removing).
	entry := func(force, set bool) func(r *pb.ChatroomRequest, args []safejs.Value) error {
		return func(r *pb.ChatroomRequest, args []safejs.Value) error {
			o, err := roomOptions(r, args)
			if err != nil {
				return err
			}
			key, err := reqString(o, "key")
			if err != nil {
				return err
			}
			if r.Notify, err = optBool(o, "isSendNotification"); err != nil {
				return err
			}
			if r.Extra, err = optString(o, "notificationExtra"); err != nil {
				return err
			}
			r.Force = force
			if !set {
				r.Keys = []string{key}
				return nil
			}
			e := &pb.ChatroomEntry{Key: key}
			if e.Value, err = reqString(o, "value"); err != nil {
				return err
			}
			if e.AutoDelete, err = optBool(o, "isAutoDelete"); err != nil {
				return err
			}
			r.Entries = []*pb.ChatroomEntry{e}
			return nil
		}
	}
	none := func(*pb.ChatroomResult) (any, error) { return nil, nil }
	calls := map[string]requestCall[*pb.ChatroomRequest, *pb.ChatroomResult]{
		"getChatRoomInfo": {func(r *pb.ChatroomRequest, args []safejs.Value) error {
			if err := room(r, args); err != nil {
				return err
			}
			if o := arg(args, 1); !absent(o) {
				if err := object(o, "options"); err != nil {
					return err
				}
				n, err := optInt(o, "count", 0)
				if err != nil {
					return err
				}
				order, err := optInt(o, "order", 0)
				if err != nil {
					return err
				}
				if n < 0 || n > contract.ChatroomInfoMax || order < 0 || order > 2 {
					return codes.New(codes.RCChatroomParameterInvalid, "count must be 0 to 20, order 0, 1 or 2")
				}
				r.Count, r.Order = int32(n), int32(order)
			}
			return nil
		}, func(res *pb.ChatroomResult) (any, error) {
			users := make([]any, len(res.Members))
			for i, m := range res.Members {
				users[i] = map[string]any{"id": m.User, "time": m.JoinTime}
			}
			return map[string]any{"userInfos": users, "userCount": int(res.MemberCount)}, nil
		}},
		"setChatRoomEntry":         {entry(false, true), none},
		"forceSetChatRoomEntry":    {entry(true, true), none},
		"removeChatRoomEntry":      {entry(false, false), none},
		"forceRemoveChatRoomEntry": {entry(true, false), none},
		"setChatRoomEntries": {func(r *pb.ChatroomRequest, args []safejs.Value) error {
			o, err := roomOptions(r, args)
			if err != nil {
				return err
			}
			list, err := field(o, "entries")
			if err != nil {
				return err
			}
			auto, err := optBool(o, "isAutoDelete")
			if err != nil {
				return err
			}
			if r.Force, err = optBool(o, "isForce"); err != nil {
				return err
			}
			r.Entries, err = asArray(list, "entries", func(v safejs.Value) (*pb.ChatroomEntry, error) {
				if err := object(v, "entries items"); err != nil {
					return nil, err
				}
				e := &pb.ChatroomEntry{AutoDelete: auto}
				var err error
				if e.Key, err = reqString(v, "key"); err != nil {
					return nil, err
				}
				e.Value, err = reqString(v, "value")
				return e, err
			})
			return err
		}, none},
		"removeChatRoomEntries": {func(r *pb.ChatroomRequest, args []safejs.Value) error {
			o, err := roomOptions(r, args)
			if err != nil {
				return err
			}
			list, err := field(o, "entries")
			if err != nil {
				return err
			}
			if r.Keys, err = asStrings(list, "entries"); err != nil {
				return err
			}
			r.Extra, err = optString(o, "notificationExtra")
			return err
		}, none},
		"getChatRoomEntry": {func(r *pb.ChatroomRequest, args []safejs.Value) error {
			if err := room(r, args); err != nil {
				return err
			}
			key, err := asString(arg(args, 1), "key")
			r.Keys = []string{key}
			return err
		}, func(res *pb.ChatroomResult) (any, error) {
			if len(res.Entries) == 0 {
				return nil, codes.New(codes.ChatroomKeyNotExist, "no such entry")
			}
			return res.Entries[0].Value, nil
		}},
		"getAllChatRoomEntries": {room, func(res *pb.ChatroomResult) (any, error) {
			out := make(map[string]any, len(res.Entries))
			for _, e := range res.Entries {
				out[e.Key] = e.Value
			}
			return out, nil
		}},
	}
	ops := map[string]pb.ChatroomOp{
		"getChatRoomInfo":          pb.ChatroomOp_CHATROOM_INFO,
		"setChatRoomEntry":         pb.ChatroomOp_CHATROOM_SET_ENTRIES,
		"forceSetChatRoomEntry":    pb.ChatroomOp_CHATROOM_SET_ENTRIES,
		"setChatRoomEntries":       pb.ChatroomOp_CHATROOM_SET_ENTRIES,
		"removeChatRoomEntry":      pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES,
		"forceRemoveChatRoomEntry": pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES,
		"removeChatRoomEntries":    pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES,
		"getChatRoomEntry":         pb.ChatroomOp_CHATROOM_GET_ENTRIES,
		"getAllChatRoomEntries":    pb.ChatroomOp_CHATROOM_GET_ENTRIES,
	}
	out := requestFunctions(b, calls, func(name string) *pb.ChatroomRequest { return &pb.ChatroomRequest{Op: ops[name]} },
		(*client.Engine).ChatroomRequest)
	out["joinChatRoom"] = b.joinChatroom(false)
	out["joinExistChatRoom"] = b.joinChatroom(true)
	out["quitChatRoom"] = b.quitChatroom
	return out
}

// joinChatRoom / joinExistChatRoom(targetId, {count, extra?})
func (b *Bridge) joinChatroom(existing bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		room, err := asString(arg(args, 0), "targetId")
		if err != nil {
			return nil, err
		}
		var count int64
		if o := arg(args, 1); !absent(o) {
			if err := object(o, "options"); err != nil {
				return nil, err
			}
			if count, err = optInt(o, "count", 0); err != nil {
				return nil, err
			}
			if count < -1 || count > contract.ChatroomJoinMax {
				return nil, codes.New(codes.RCChatroomParameterInvalid, "count must be -1 to 50")
			}
		}
		return func() (any, error) {
			res, err := eng.JoinChatroom(context.Background(), room, int32(count), existing)
			if err != nil {
				return nil, err
			}
			return joinResponseJS(res), nil
		}, nil
	}
}

// quitChatRoom(targetId, extra?)
func (b *Bridge) quitChatroom(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	room, err := asString(arg(args, 0), "targetId")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.QuitChatroom(context.Background(), room) }, nil
}

// joinResponseJS is RongIMLib's IChatroomJoinResponse. Members are not
// banned across rooms here, nor listed apart from mutes.
func joinResponseJS(res *pb.ChatroomResult) map[string]any {
	return map[string]any{
		"createTime": res.CreateTime, "memberCount": int(res.MemberCount), "joinTime": res.JoinTime,
		"isAllChatroomBanned": res.AllMuted, "isCurrentChatroomBanned": res.Muted,
		"isCurrentUserBanned": false, "isCurrentChatroomInWhitelist": false,
	}
}

// chatroomEventJS is Events.CHATROOM's IChatroomListenerData.
func chatroomEventJS(ev *client.ChatroomEvent) (string, any, bool) {
	data := map[string]any{}
	if rj := ev.Rejoined; rj != nil {
		if rj.Code != 0 {
			data["rejoinedRoom"] = map[string]any{"chatroomId": rj.Room, "errorCode": int(rj.Code)}
		} else {
			r := joinResponseJS(rj.Result)
			r["chatroomId"], r["count"] = rj.Room, int(rj.Count)
			data["rejoinedRoom"] = r
		}
		return "CHATROOM", data, true
	}
	if len(ev.Entries) > 0 {
		list := make([]any, len(ev.Entries))
		for i, e := range ev.Entries {
			typ := 1 // ChatroomEntryType.UPDATE
			if e.Removed {
				typ = 2
			}
			list[i] = map[string]any{"key": e.Key, "value": e.Value, "timestamp": e.Time, "chatroomId": ev.Room, "type": typ}
		}
		data["updatedEntries"] = list
	}
	if ev.Destroyed {
		data["chatroomDestroyed"] = ev.Room
		data["chatroomDestroyedType"] = int(ev.DestroyedType)
	}
	if ban := ev.Ban; ban != nil {
		data["chatroomNotifyBan"] = map[string]any{
			"chatroomId": ev.Room, "banType": int(ban.BanType), "durationTime": ban.DurationMs,
			"operateTime": ban.Time, "userIdList": stringsAny(ban.Users), "extra": ban.Extra,
		}
	}
	return "CHATROOM", data, len(data) > 0
}
