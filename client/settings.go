package client

import (
	"context"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// SettingsEdit is a change of settings: what is not nil (or false) changes.
type SettingsEdit struct {
	Top   *bool
	Level *int32
	// Remove takes the conversation out of the list (and unpins it) until
	// its next message: removeConversation. Its messages stay.
	Remove bool
	// TypeDefault sets the level of a conversation type
	// (setConversationTypeNotificationLevel): convs is one Conversation
	// with that type and no target.
	TypeDefault bool
	// Dnd: no push from the conversations for this many ms from now (0
	// ends it): setDoNotDisturb with a conversation.
	Dnd *int64
}

// SetSettings implements setConversationToTop,
// setConversationNotificationLevel, removeConversation and their batch
// forms: edit applies to the user's settings of each of convs (1-20) on the
// server and all their devices; here at once, without an event (the other
// devices get CONVERSATION with updatedItems for pins and levels).
func (e *Engine) SetSettings(ctx context.Context, convs []Conversation, edit SettingsEdit) error {
	top, level := edit.Top, edit.Level
	if err := e.closed(); err != nil {
		return err
	}
	req := &pb.SettingsRequest{TypeDefault: edit.TypeDefault}
	for _, c := range convs {
		if !edit.TypeDefault {
			if err := validConversation(c); err != nil {
				return err
			}
		}
		req.Convs = append(req.Convs, wireConv(c))
	}
	if top != nil {
		req.SetTop, req.IsTop = true, *top
	}
	if level != nil {
		req.SetLevel, req.NotificationLevel = true, *level
	}
	req.Remove = edit.Remove
	if edit.Dnd != nil {
		req.SetDnd, req.DndDurationMs = true, *edit.Dnd
	}
	if err := contract.CheckSettingsRequest(req); err != nil {
		return err
	}
	if edit.Dnd != nil {
		return e.setDnd(ctx, convs, req)
	}
	// Taken here first: the log entries that come back (maybe before the
	// answer) then carry nothing new for this device. A refusal puts the
	// settings back; the answer stamps them with the server's time (this
	// device's estimate of it runs ahead when its clock jumps forward, and
	// kept the user's later changes on other devices out).
	now := e.ServerTime()
	apply, undo, stamped := &inItem{}, &inItem{}, &inItem{}
	e.seqMu.Lock()
	for _, c := range convs {
		var prev Settings
		var last uint64
		if st := e.convs[c.Key()]; st != nil {
			prev, last = st.Settings, max(st.LastSeq, st.Contiguous)
		}
		set := wireSettings(prev)
		set.Time = max(prev.SettingsTime, now)
		contract.EditSettings(set, req, last, 0)
		prev.SettingsTime = set.Time
		stamped.restamps = append(stamped.restamps, restamp{conv: c, from: set.Time})
		apply.settings = append(apply.settings, &pb.LogEntry{Conv: wireConv(c), Settings: set})
		undo.settings = append(undo.settings, &pb.LogEntry{Conv: wireConv(c), Settings: wireSettings(prev)})
	}
	e.seqMu.Unlock()
	if err := e.applyLocal(apply); err != nil {
		return err
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Settings{Settings: req}})
	if err != nil {
		if uerr := e.applyLocal(undo); uerr != nil {
			e.log.Log(LevelError, "settings: put back after a refusal", "err", uerr.Error())
		}
		return err
	}
	if at := f.GetOk().GetTime(); at > 0 {
		for i := range stamped.restamps {
			stamped.restamps[i].to = at
		}
		if err := e.applyLocal(stamped); err != nil {
			e.log.Log(LevelError, "settings: the server's time", "err", err.Error())
		}
	}
	return nil
}

// restamp gives conv's settings the server's time for the change this
// device stamped from, unless a later change took its place meanwhile.
type restamp struct {
	conv     Conversation
	from, to int64
}

// setDnd sends a do-not-disturb's change and takes it here when answered,
// not before: its end is reckoned from the change's time on the server's
// clock (the answer's), which this device only estimates — the same
// settings, of the same time, as the log entry the user's devices get.
func (e *Engine) setDnd(ctx context.Context, convs []Conversation, req *pb.SettingsRequest) error {
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Settings{Settings: req}})
	if err != nil {
		return err
	}
	at := f.GetOk().GetTime()
	var until int64
	if req.DndDurationMs > 0 {
		until = at + req.DndDurationMs
	}
	apply := &inItem{}
	e.seqMu.Lock()
	for _, c := range convs {
		var s Settings
		if st := e.convs[c.Key()]; st != nil {
			s = st.Settings
		}
		s.SettingsTime, s.DndUntil = max(s.SettingsTime, at), until
		apply.settings = append(apply.settings, &pb.LogEntry{Conv: wireConv(c), Settings: wireSettings(s)})
	}
	e.seqMu.Unlock()
	return e.applyLocal(apply)
}

// applySettingsLocked takes the settings of l (a log entry, or this
// device's own change) unless older than what the device has; tell
// records what changed for the CONVERSATION event.
func (e *Engine) applySettingsLocked(bs *batchState, l *pb.LogEntry, tell bool) {
	c := Conversation{Type: int32(l.Conv.GetType()), TargetID: l.Conv.GetTarget(), ChannelID: l.Conv.GetChannel()}
	st, k := e.stateKeyLocked(bs, c)
	s := localSettings(l.Settings)
	if s.SettingsTime < st.SettingsTime {
		return
	}
	ch := SettingsChange{Top: s.IsTop != st.IsTop, Level: s.NotificationLevel != st.NotificationLevel}
	st.Settings = s
	if tell && (ch.Top || ch.Level) {
		prev := bs.settings[k]
		bs.settings[k] = SettingsChange{Top: prev.Top || ch.Top, Level: prev.Level || ch.Level}
	}
}

// ConversationSettings is the user's settings of c as this device knows them
// (of a type's default: c with that type and no target).
func (e *Engine) ConversationSettings(c Conversation) Settings {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	if st := e.convs[c.Key()]; st != nil {
		return st.Settings
	}
	return Settings{}
}

// draftSet is a draft to keep (saveTextMessageDraft; "" clears it).
type draftSet struct {
	conv Conversation
	text string
}

// SetDraft implements saveTextMessageDraft and clearTextMessageDraft (text
// ""): kept with the conversation on this device, nowhere else.
func (e *Engine) SetDraft(c Conversation, text string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if len(text) > e.maxContentBytes() {
		return codes.New(codes.MsgContentExceedLimit, "draft longer than a message may be")
	}
	return e.applyLocal(&inItem{draft: &draftSet{conv: c, text: text}})
}

// Draft implements getTextMessageDraft.
func (e *Engine) Draft(c Conversation) string {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	if st := e.convs[c.Key()]; st != nil {
		return st.Draft
	}
	return ""
}
