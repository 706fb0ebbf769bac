package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// POST /v1/import takes a part of an export in imwasm's import format
// (docs/migration.md): JSON lines, each a user, a friendship, a blacklist
// entry, a group or a message, applied in order. What exists is left as it
// is, so running an import twice changes nothing. imwasm import sends a
// file through it in parts within the admin API's body limit (1 MiB).

// importMaxRefusals bounds the refusals one answer lists (all are counted).
const importMaxRefusals = 100

// importBatch is how many messages go to the store at once.
const importBatch = 200

type importKind struct {
	Kind string `json:"kind"`
}

// importUser: PUT /v1/users/{id}/profile's body and the user's id.
type importUser struct {
	importKind
	UserID string `json:"userId"`
	apiProfile
}

// importPair: a friendship (friendId) or a blacklist entry (blockedId).
type importPair struct {
	importKind
	UserID    string `json:"userId"`
	FriendID  string `json:"friendId"`
	BlockedID string `json:"blockedId"`
}

// importGroup: POST /v1/groups' body and when the group was made.
type importGroup struct {
	importKind
	GroupID    string   `json:"groupId"`
	OwnerID    string   `json:"ownerId"`
	MemberIDs  []string `json:"memberIds"`
	AdminIDs   []string `json:"adminIds"`
	CreateTime int64    `json:"createTime"`
	groupFields
}

// importMessage: POST /v1/messages' body for one target, with the id and
// time the message had; its content as objectName and content, or in an
// Easemob or NIM export's shape, read as those vendors' server routes
// read it.
type importMessage struct {
	importKind
	TargetID   string `json:"targetId"`
	MessageUID string `json:"messageUId"`
	SentTime   int64  `json:"sentTime"`
	apiMessage
	Easemob *struct {
		Bodies []json.RawMessage `json:"bodies"` // one, {type, …}
		Ext    map[string]any    `json:"ext"`
	} `json:"easemob"`
	NIM *struct {
		Type json.RawMessage `json:"type"` // 0 or "0"
		Body json.RawMessage `json:"body"` // the JSON, or a string of it
	} `json:"nim"`
}

// vendorContent sets b's object name and content from its Easemob or NIM
// form, where it has one.
func (b *importMessage) vendorContent() error {
	if b.Easemob == nil && b.NIM == nil {
		return nil
	}
	if (b.Easemob != nil && b.NIM != nil) || b.ObjectName != "" || len(b.Content) > 0 {
		return badRequest("a message's content is objectName and content, easemob or nim: one of them")
	}
	var object string
	var content []byte
	var err error
	if e := b.Easemob; e != nil {
		if len(e.Bodies) != 1 {
			return badRequest("easemob.bodies holds one body")
		}
		var typ struct {
			Type string `json:"type"`
		}
		json.Unmarshal(e.Bodies[0], &typ)
		object, content, err = emContent(typ.Type, e.Bodies[0], e.Ext)
	} else {
		typ, body := unquote(b.NIM.Type), unquote(b.NIM.Body)
		object, content, err = nimContent(typ, body)
	}
	if err != nil {
		return badRequest(err.Error())
	}
	b.ObjectName, b.Content = object, content
	return nil
}

// unquote is a JSON string's value, or other JSON as it is.
func unquote(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// ImportSummary is what one part did: lines seen per kind, what was added
// and what existed, and why lines were refused (line numbers count from
// the first line of the file, given as ?line=).
type ImportSummary struct {
	Lines    map[string]int  `json:"lines"`
	Added    map[string]int  `json:"added"`
	Existing map[string]int  `json:"existing"`
	Refused  int             `json:"refused"`
	Errors   []ImportRefusal `json:"errors,omitempty"`
}

// ImportRefusal is one refused line.
type ImportRefusal struct {
	Line  int    `json:"line"`
	Code  int    `json:"code"`
	Error string `json:"error"`
}

func (s *Server) routeImport() {
	s.mux.HandleFunc("POST /v1/import", s.admin(s.apiImport))
}

func (s *Server) apiImport(r *http.Request) (any, error) {
	first := 1
	if v := r.URL.Query().Get("line"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest("line must be a positive number")
		}
		first = n
	}
	im := &importer{s: s, ctx: r.Context(), sum: &ImportSummary{Lines: map[string]int{}, Added: map[string]int{}, Existing: map[string]int{}}}
	// The body is within the admin API's limit (1 MiB), so a line is too.
	br := bufio.NewReaderSize(r.Body, 64<<10)
	for n := first; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			// What came before stands (and is stored below); this line,
			// cut short, and the rest of the part are not read.
			im.refuse(n, badRequest("the part stops here: "+err.Error()))
			break
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if err := im.line(n, line); err != nil {
				return nil, err
			}
		}
		if err == io.EOF {
			break
		}
	}
	if err := im.flush(); err != nil {
		return nil, err
	}
	// Messages are refused when their batch is stored, after later lines.
	slices.SortStableFunc(im.sum.Errors, func(a, b ImportRefusal) int { return a.Line - b.Line })
	return im.sum, nil
}

// importer applies one part's lines; messages wait in pending until a
// batch is full or another kind of line comes.
type importer struct {
	s       *Server
	ctx     context.Context
	sum     *ImportSummary
	pending []store.Imported
	lines   []int // pending's line numbers
}

// line applies one line; an error is the server's (the part stops), a
// refusal of the line is counted in the summary.
func (im *importer) line(n int, raw []byte) error {
	var k importKind
	if err := json.Unmarshal(raw, &k); err != nil {
		im.refuse(n, badRequest("not a JSON object: "+err.Error()))
		return nil
	}
	im.sum.Lines[k.Kind]++
	if k.Kind != "message" {
		if err := im.flush(); err != nil {
			return err
		}
	}
	var added bool
	var err error
	switch k.Kind {
	case "user":
		added, err = im.user(raw)
	case "friend", "blacklist":
		added, err = im.pair(k.Kind, raw)
	case "group":
		added, err = im.group(raw)
	case "message":
		err = im.message(n, raw)
		if err == nil {
			if len(im.pending) == importBatch {
				return im.flush()
			}
			return nil
		}
	default:
		err = badRequest(`kind must be "user", "friend", "blacklist", "group" or "message"`)
	}
	if err != nil {
		if !im.refusal(err) {
			return err
		}
		im.refuse(n, err)
		return nil
	}
	if added {
		im.sum.Added[k.Kind]++
	} else {
		im.sum.Existing[k.Kind]++
	}
	return nil
}

// refusal says whether err refuses a line (bad input) rather than being
// the server's.
func (im *importer) refusal(err error) bool {
	var ae *apiError
	var ce *codes.Error
	return errors.As(err, &ae) || errors.As(err, &ce)
}

func (im *importer) refuse(n int, err error) {
	im.sum.Refused++
	if len(im.sum.Errors) == importMaxRefusals {
		return
	}
	code := int32(codes.InvalidParameter)
	var ae *apiError
	var ce *codes.Error
	if errors.As(err, &ae) {
		code = ae.Code
	} else if errors.As(err, &ce) {
		code = ce.Code
	}
	im.sum.Errors = append(im.sum.Errors, ImportRefusal{Line: n, Code: int(code), Error: err.Error()})
}

func strictDecode(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid line: " + err.Error())
	}
	return nil
}

// user registers a user not registered yet, with their profile; one who
// is keeps theirs.
func (im *importer) user(raw []byte) (bool, error) {
	var u importUser
	if err := strictDecode(raw, &u); err != nil {
		return false, err
	}
	if !contract.ValidID(u.UserID) {
		return false, badRequest("userId must be an id of 1-64 characters [A-Za-z0-9_.@-]")
	}
	p := u.wire()
	if p.Fields != 0 { // a user with no profile is still a user
		if _, err := contract.CheckProfile(p, true); err != nil {
			return false, peopleAPIError(err)
		}
	}
	switch known, err := im.s.registered(im.ctx, u.UserID); {
	case err != nil:
		return false, err
	case known:
		return false, nil
	}
	return true, im.s.register(im.ctx, u.UserID, p)
}

// pair makes two users friends, or puts the second on the first's
// blacklist, as the admin API does (nothing where it is so already).
func (im *importer) pair(kind string, raw []byte) (bool, error) {
	var p importPair
	if err := strictDecode(raw, &p); err != nil {
		return false, err
	}
	other := p.FriendID
	if kind == "blacklist" {
		other = p.BlockedID
	}
	if !contract.ValidID(p.UserID) || !contract.ValidID(other) {
		return false, badRequest("userId and " + map[string]string{"friend": "friendId", "blacklist": "blockedId"}[kind] + " must be ids")
	}
	if kind == "friend" {
		friends, err := im.s.store.Friends(im.ctx, p.UserID)
		if _, ok := friends[other]; ok || err != nil {
			return false, err
		}
		return true, im.s.befriend(im.ctx, p.UserID, []string{other})
	}
	blocked, err := im.s.store.Blacklist(im.ctx, p.UserID)
	if _, ok := blocked[other]; ok || err != nil {
		return false, err
	}
	_, err = im.s.people(im.ctx, p.UserID, "", &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: other})
	return true, err
}

// group creates a group that does not exist, with its members from its
// creation on, as it was: no notification anyone sees (a marker at
// createTime), so the history imported after it is the members'.
func (im *importer) group(raw []byte) (bool, error) {
	var b importGroup
	if err := strictDecode(raw, &b); err != nil {
		return false, err
	}
	members := slices.Concat(b.MemberIDs, b.AdminIDs, []string{b.OwnerID})
	slices.Sort(members)
	members = slices.Compact(members)
	req := &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: b.GroupID, UserId: b.OwnerID, UserIds: members, Info: b.info()}
	if err := contract.CheckGroupRequest(req); err != nil {
		return false, peopleAPIError(err)
	}
	if !contract.ValidID(b.OwnerID) || !validIDs(members) {
		return false, badRequest("ownerId, memberIds and adminIds must be ids")
	}
	st := im.s.settings.Load()
	if len(members) > st.GroupMaxMembers || len(b.AdminIDs) > st.GroupMaxManagers {
		return false, badRequest("more members than groupMaxMembers or adminIds than groupMaxManagers")
	}
	if err := im.past("createTime", b.CreateTime); err != nil {
		return false, err
	}
	created := b.CreateTime
	if created <= 0 {
		created = 1 // before any history
	}
	added := false
	_, err := im.s.store.ChangeGroup(im.ctx, b.GroupID, func(g *store.Group) (*store.GroupChange, error) {
		if added = g == nil; !added {
			return &store.GroupChange{}, nil
		}
		g = &store.Group{ID: b.GroupID, CreatorID: b.OwnerID, OwnerID: b.OwnerID, Created: created,
			Members: map[string]store.Member{}, Applications: map[store.AppKey]store.Application{}}
		applyInfo(g, req.Info)
		for _, u := range members {
			g.Members[u] = store.Member{Role: contract.RoleNormal, Joined: created}
		}
		for _, u := range b.AdminIDs {
			g.Members[u] = store.Member{Role: contract.RoleManager, Joined: created}
		}
		g.Members[b.OwnerID] = store.Member{Role: contract.RoleOwner, Joined: created}
		ntf := store.Tombstone(&pb.Message{ConvType: pb.ConversationType_GROUP, FromUser: b.OwnerID, To: b.GroupID})
		ntf.ClientMsgId, ntf.Uid, ntf.SentTime = "import.group."+b.GroupID, im.s.uids.Next(time.UnixMilli(created)), created
		return &store.GroupChange{Group: g, Ntf: ntf, Imported: true}, nil
	})
	im.s.dropGroup(b.GroupID)
	if errors.Is(err, store.ErrOutOfOrder) {
		return false, badRequest("the group's history is newer than createTime")
	}
	return added, err
}

// importSkew is how far ahead of the server's clock an imported time may
// be (the old system's clock may have run a little ahead).
const importSkew = 5 * time.Minute

// past refuses a time (ms) ahead of the server's clock: a conversation's
// last time would hold every live message after it there.
func (im *importer) past(name string, ms int64) error {
	if ms > im.s.cfg.Now().Add(importSkew).UnixMilli() {
		return badRequest(name + " is in the future")
	}
	return nil
}

// message checks one message as POST /v1/messages would and queues it.
func (im *importer) message(n int, raw []byte) error {
	var b importMessage
	if err := strictDecode(raw, &b); err != nil {
		return err
	}
	if !contract.ValidID(b.MessageUID) || b.SentTime <= 0 {
		return badRequest("messageUId (an id) and sentTime (ms) are required")
	}
	if err := im.past("sentTime", b.SentTime); err != nil {
		return err
	}
	if b.TargetIDs != nil {
		return badRequest("a message has one targetId")
	}
	// History is of private chats and groups: a chat room keeps none per
	// member, and an ultra group's would land in the group of its id.
	if t := pb.ConversationType(b.ConversationType); t != pb.ConversationType_PRIVATE && t != pb.ConversationType_GROUP {
		return badRequest("conversationType must be 1 (private) or 3 (group): chat rooms and ultra groups are not imported")
	}
	if b.IsStatus || (b.IsPersisted != nil && !*b.IsPersisted) {
		return badRequest("status and unstored messages are not history")
	}
	if b.ClientMsgID == "" {
		b.ClientMsgID = b.MessageUID
	}
	b.TargetIDs = []string{b.TargetID}
	if err := b.vendorContent(); err != nil {
		return err
	}
	content, err := im.s.checkAppMessage(&b.apiMessage, false)
	if err != nil {
		return err
	}
	m := b.wire(b.TargetID, b.ClientMsgID, content)
	m.Uid, m.SentTime = b.MessageUID, b.SentTime
	convID := store.GroupConvID(b.TargetID)
	if m.ConvType == pb.ConversationType_PRIVATE {
		convID = store.PrivateConvID(b.FromUserID, b.TargetID)
	} else if _, err := im.s.groups.get(im.ctx, b.TargetID); err != nil {
		// The senders of old history may have left since: only the group
		// must exist, its members then see the history from their joining.
		return &apiError{http.StatusBadRequest, codes.RCGroupIDNotExist, "no group " + b.TargetID + " (import groups before their messages)"}
	}
	im.pending = append(im.pending, store.Imported{ConvID: convID, Msg: m})
	im.lines = append(im.lines, n)
	return nil
}

// flush stores the pending messages.
func (im *importer) flush() error {
	if len(im.pending) == 0 {
		return nil
	}
	res, err := im.s.store.Import(im.ctx, im.pending)
	if err != nil {
		return fmt.Errorf("import messages: %w", err)
	}
	for i, err := range res {
		switch {
		case err == nil:
			im.sum.Added["message"]++
		case errors.Is(err, store.ErrExists):
			im.sum.Existing["message"]++
		default: // out of order, or its uid is another message's
			im.refuse(im.lines[i], badRequest(err.Error()))
		}
	}
	im.pending, im.lines = im.pending[:0], im.lines[:0]
	return nil
}
