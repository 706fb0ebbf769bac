package server

import (
	"cmp"
	"context"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Push to users who are not connected. When a message that counts is
// stored for a user none of whose devices is connected (on any node), and
// their notification level for the conversation lets it through, the
// server owes them a push: a Web Push (RFC 8030) to each subscription of
// theirs (Settings.WebPushEnabled), and the offline-push webhook
// (Settings.PushWebhookURL) with what an app's own FCM/APNs bridge needs.
// Both go through the webhooks' outbox: the stored message's event is
// turned into one event per push owed (enqueuePushes, idempotent by event
// id), each delivered and retried on its own, so a push is never lost
// across a restart and never sent twice for one subscription.

// vapidKeys are the server's VAPID key pair (RFC 8292), base64url. They
// are derived from the app secret, so every node of a cluster signs with
// the same key without storing one; a new app secret is a new key, and the
// browsers' subscriptions made with the old one stop working (their push
// services answer 403: the devices subscribe again at their next
// registerWebPush).
type vapidKeys struct {
	private, public string
}

func deriveVAPID(secret string) (vapidKeys, error) {
	for i := 0; i < 16; i++ {
		d, err := hkdf.Key(sha256.New, []byte(secret), []byte("imwasm vapid"), "p256 "+strconv.Itoa(i), 32)
		if err != nil {
			return vapidKeys{}, fmt.Errorf("derive the VAPID key: %w", err)
		}
		k, err := ecdh.P256().NewPrivateKey(d)
		if err != nil {
			continue // a scalar past the group's order: about 2^-32 likely
		}
		return vapidKeys{
			private: base64.RawURLEncoding.EncodeToString(d),
			public:  base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
		}, nil
	}
	return vapidKeys{}, errors.New("derive the VAPID key: no valid scalar")
}

// handleWebPush answers a device's Web Push request: the VAPID public key
// to subscribe with, keeping its subscription, forgetting it.
func (ss *session) handleWebPush(ctx context.Context, id uint64, r *pb.WebPushRequest) {
	s := ss.srv
	switch r.Op {
	case pb.WebPushOp_WEB_PUSH_KEY:
	case pb.WebPushOp_WEB_PUSH_SUBSCRIBE:
		if err := s.checkSubscription(r); err != nil {
			ss.replyFor(id, err)
			return
		}
		if err := s.store.PutWebPush(ctx, store.WebPushSubscription{User: ss.user, Device: ss.device, Endpoint: r.Endpoint,
			P256dh: r.P256Dh, Auth: r.Auth, Created: s.cfg.Now().UnixMilli()}); err != nil {
			ss.replyFor(id, err)
			return
		}
	case pb.WebPushOp_WEB_PUSH_UNSUBSCRIBE:
		if err := s.store.DeleteWebPush(ctx, ss.user, ss.device, ""); err != nil {
			ss.replyFor(id, err)
			return
		}
	case pb.WebPushOp_WEB_PUSH_BACKGROUND, pb.WebPushOp_WEB_PUSH_FOREGROUND:
		s.cluster.setBackground(ss, r.Op == pb.WebPushOp_WEB_PUSH_BACKGROUND, s.cfg.Now().UnixMilli())
	default:
		ss.replyErr(id, codes.InvalidParameter, "unknown web push op")
		return
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_WebPushResult{WebPushResult: &pb.WebPushResult{VapidPublicKey: s.vapid.public}}})
}

// checkSubscription refuses a subscription the server could not push to:
// an endpoint that is no https URL (http too with
// Config.WebPushAllowHTTP, for tests and development) or not on a push
// service of Settings.WebPushHosts, keys that are no P-256 point and
// 16-byte secret.
func (s *Server) checkSubscription(r *pb.WebPushRequest) error {
	u, err := url.Parse(r.Endpoint)
	switch {
	case err != nil || u.Host == "" || len(r.Endpoint) > 2048:
		return codes.New(codes.InvalidParameter, "endpoint must be an absolute URL of at most 2,048 bytes")
	case u.Scheme != "https" && !(u.Scheme == "http" && s.cfg.WebPushAllowHTTP):
		return codes.New(codes.InvalidParameter, "endpoint must be an https URL")
	case !s.settings.Load().pushEndpointAllowed(r.Endpoint):
		return codes.New(codes.InvalidParameter, "endpoint's host is not a push service the server allows (setting webPushHosts)")
	}
	key, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(r.P256Dh, "="))
	if err == nil {
		_, err = ecdh.P256().NewPublicKey(key)
	}
	if err != nil {
		return codes.New(codes.InvalidParameter, "p256dh must be a base64url P-256 public key")
	}
	if auth, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(r.Auth, "=")); err != nil || len(auth) != 16 {
		return codes.New(codes.InvalidParameter, "auth must be a base64url 16-byte secret")
	}
	return nil
}

// pushOn reports whether stored messages may owe pushes.
func (st *Settings) pushOn() bool {
	return st.WebPushEnabled || st.PushWebhookURL != ""
}

// Outbox event kinds of the pushes.
const (
	outboxWebPush     = "webpush"      // one subscription's notification
	outboxPushPayload = "message.push" // the offline-push webhook's call
)

// pushPayload is what a push carries: the notification a service worker
// shows (Web Push) and what an app's FCM/APNs bridge needs (the
// offline-push webhook).
type pushPayload struct {
	UserID           string `json:"userId"`
	Title            string `json:"title"`
	Body             string `json:"body"`
	Badge            int    `json:"badge"` // the user's unread messages, all conversations
	Tag              string `json:"tag"`   // the conversation ("type:target:channel"): a later push replaces an earlier one
	ConversationType int32  `json:"conversationType"`
	TargetID         string `json:"targetId"`
	ChannelID        string `json:"channelId,omitempty"`
	SenderUserID     string `json:"senderUserId"`
	MessageUID       string `json:"messageUId"`
	ObjectName       string `json:"objectName"`
	SentTime         int64  `json:"sentTime"`
	PushData         string `json:"pushData,omitempty"`
}

// webPushEvent is a webpush outbox event's body.
type webPushEvent struct {
	Endpoint string          `json:"endpoint"`
	P256dh   string          `json:"p256dh"`
	Auth     string          `json:"auth"`
	Topic    string          `json:"topic"`
	Payload  json.RawMessage `json:"payload"`
}

// enqueuePushes turns e, m's outbox event, into the pushes m owes and,
// with stored, the events webhook's message.stored: they replace e in one
// transaction, so none is enqueued twice.
func (s *Server) enqueuePushes(ctx context.Context, m *pb.Message, e *store.OutboxEvent, stored bool) error {
	st := s.settings.Load()
	var events []store.OutboxEvent
	if stored {
		// Under the message event's id: read and erased as it is.
		events = append(events, store.OutboxEvent{EventID: e.EventID, Kind: store.OutboxStored, Body: e.Body, Created: e.Created})
	}
	pushes, err := s.pushesOf(ctx, st, m)
	if err != nil {
		return err
	}
	events = append(events, pushes...)
	if err := s.store.ReplaceEvent(ctx, e.ID, events); err != nil {
		return fmt.Errorf("push: enqueue: %w", err)
	}
	if len(events) > 0 {
		s.wakeWebhooks()
	}
	return nil
}

// pushesOf lists the pushes m, just stored, owes.
func (s *Server) pushesOf(ctx context.Context, st *Settings, m *pb.Message) ([]store.OutboxEvent, error) {
	if !store.Counted(m) || m.DisableNotification || m.Seq == 0 {
		return nil, nil
	}
	var users []string
	switch m.ConvType {
	case pb.ConversationType_PRIVATE, pb.ConversationType_SYSTEM:
		users = []string{m.To}
	case pb.ConversationType_GROUP:
		g, err := s.groups.get(ctx, m.To)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil // dismissed since: its members are no more (its event still goes)
		}
		if err != nil {
			return nil, fmt.Errorf("push: group %s: %w", m.To, err)
		}
		users = g.list
	default:
		return nil, nil // chat rooms keep no members; ultra groups are not pushed (docs/http-api.md)
	}
	title, body, ok := s.pushText(ctx, m)
	if !ok {
		return nil, nil
	}
	mentioned := contract.Mentioned(m)
	var events []store.OutboxEvent
	for _, u := range users {
		if u == m.FromUser || !store.VisibleTo(m, u) || s.awake(u) || s.left.since(u, m.SentTime) {
			continue // theirs, not for them, or they were online (in the foreground) when it was stored
		}
		var subs []store.WebPushSubscription
		if st.WebPushEnabled {
			all, err := s.store.WebPushOf(ctx, u)
			if err != nil {
				return nil, err
			}
			for _, sub := range all {
				if st.pushEndpointAllowed(sub.Endpoint) { // (one on a host no longer allowed is not pushed)
					subs = append(subs, sub)
				}
			}
		}
		if len(subs) == 0 && st.PushWebhookURL == "" {
			continue // nothing reaches them: their state (a read of every conversation of theirs) is not needed
		}
		level, badge, dndUntil, sees, err := s.pushState(ctx, u, m)
		if err != nil {
			return nil, err
		}
		if !sees || m.SentTime < dndUntil {
			continue // joined since, or the conversation's do-not-disturb
		}
		person, err := s.store.People(ctx, []string{u})
		if err != nil {
			return nil, fmt.Errorf("push: the quiet hours of %s: %w", u, err)
		}
		if q := quietLevel(person[u], m.SentTime); q != contract.QuietLevelDefault {
			if q == contract.QuietLevelMention && m.ConvType != pb.ConversationType_GROUP {
				continue // mentions only, and only a group's count (as RongCloud's)
			}
			level = q // the user's quiet hours outrank the conversation's level
		}
		if !contract.Notifies(level, slices.Contains(mentioned, u), slices.Contains(mentioned, "")) {
			continue
		}
		p := pushPayload{UserID: u, Title: title, Body: body, Badge: badge,
			ConversationType: int32(m.ConvType), TargetID: m.To, ChannelID: m.Channel, SenderUserID: m.FromUser,
			MessageUID: m.Uid, ObjectName: m.ObjectName, SentTime: m.SentTime, PushData: m.PushData}
		if m.ConvType == pb.ConversationType_PRIVATE {
			p.TargetID = m.FromUser // the conversation as the recipient sees it
		}
		p.Tag = strconv.Itoa(int(p.ConversationType)) + ":" + p.TargetID + ":" + p.ChannelID
		raw, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("push: encode: %w", err)
		}
		at := s.cfg.Now().UnixMilli()
		if st.PushWebhookURL != "" {
			events = append(events, store.OutboxEvent{EventID: "push:" + m.Uid + ":" + u, Kind: outboxPushPayload, Body: raw, Created: at})
		}
		if len(subs) > 0 && len(raw) > maxWebPushPayload {
			p.PushData = "" // what does not fit in one record goes
			raw, _ = json.Marshal(p)
		}
		for _, sub := range subs {
			b, _ := json.Marshal(webPushEvent{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth, Topic: webPushTopic(p.Tag), Payload: raw})
			events = append(events, store.OutboxEvent{EventID: "wp:" + m.Uid + ":" + u + ":" + sub.Device, Kind: outboxWebPush, Body: b, Created: at})
		}
	}
	return events, nil
}

// maxWebPushPayload keeps a payload inside one 4,096-byte record (RFC
// 8291: less its 103 bytes of header, tag and padding delimiter).
const maxWebPushPayload = 3800

// webPushTopic is the Topic header (RFC 8030 §5.4: at most 32 base64url
// characters) under which a push service keeps only the latest
// undelivered push of a conversation.
func webPushTopic(tag string) string {
	h := sha256.Sum256([]byte(tag))
	return base64.RawURLEncoding.EncodeToString(h[:])[:32]
}

// pushState is user's effective notification level for m's conversation
// (theirs for it, else their default for its type), their unread count
// over every conversation, m's included, when their do-not-disturb of
// m's conversation ends (ms; 0 none), and whether they see m: a group's
// message only between their joining and leaving (the members are the
// group's now, when m's event is handled, not when m was stored).
func (s *Server) pushState(ctx context.Context, user string, m *pb.Message) (level int32, badge int, dndUntil int64, sees bool, err error) {
	_, states, err := s.store.Changes(ctx, user, 0)
	if err != nil {
		return 0, 0, 0, false, fmt.Errorf("push: the state of %s: %w", user, err)
	}
	target := m.To
	if m.ConvType == pb.ConversationType_PRIVATE {
		target = m.FromUser
	}
	sees = m.ConvType != pb.ConversationType_GROUP
	var own, typeDefault int32
	for _, c := range states {
		if !s.removedStill(ctx, user, c) { // (a removed conversation is out of the total)
			badge += int(c.UnreadCount)
		}
		if c.Conv.GetType() != m.ConvType {
			continue
		}
		switch c.Conv.GetTarget() {
		case target:
			if c.Conv.GetChannel() != m.Channel {
				continue
			}
			if c.LastSeq > 0 { // (a settings-only state has no row of the conversation)
				sees = sees || c.StartSeq <= m.Seq && m.Seq <= c.LastSeq
			}
			if c.Settings != nil {
				own, dndUntil = c.Settings.NotificationLevel, c.Settings.DndUntil
			}
		case "":
			if c.Settings != nil {
				typeDefault = c.Settings.NotificationLevel
			}
		}
	}
	return contract.LevelInEffect(own, typeDefault), badge, dndUntil, sees, nil
}

// removedStill reports c, a state of user's, removed from their list with
// no message for them since, as their devices judge it (contract.Hidden of
// the last message's sequence number: markers and messages targeted at
// others bring nothing back). Only a conversation with something after its
// removal is read (at most a page).
func (s *Server) removedStill(ctx context.Context, user string, c *pb.ConversationState) bool {
	removed := c.Settings.GetRemovedSeq()
	if contract.Hidden(removed, c.LastSeq) || removed == 0 {
		return removed > 0
	}
	msgs, _, _, err := s.store.Pull(ctx, user, store.ConvID(user, c.Conv), removed, 50, time.Time{}, 0)
	if err != nil {
		return false // counted: a badge too high rather than too low
	}
	for _, m := range msgs {
		if !store.IsMarker(m) && store.VisibleTo(m, user) {
			return false
		}
	}
	return len(msgs) < 50
}

// pushText is the title and body of m's notification: the sender's name
// (the group's for a group), and pushContent or a text by type. A type
// with no text of its own and no pushContent is not pushed (ok false), as
// RongCloud does for custom messages.
func (s *Server) pushText(ctx context.Context, m *pb.Message) (title, body string, ok bool) {
	var cfg struct {
		PushTitle        string `json:"pushTitle"`
		PushContent      string `json:"pushContent"`
		DisablePushTitle bool   `json:"disablePushTitle"`
	}
	if len(m.PushConfig) > 0 {
		_ = json.Unmarshal(m.PushConfig, &cfg) // a config that is not JSON is no config
	}
	body = cmp.Or(m.PushContent, cfg.PushContent)
	if body == "" {
		var c struct {
			Content string `json:"content"`
		}
		switch m.ObjectName {
		case "RC:TxtMsg":
			if json.Unmarshal(m.Content, &c) != nil || c.Content == "" {
				return "", "", false
			}
			body = c.Content
		case "RC:ImgMsg", "RC:GIFMsg":
			body = "[Image]"
		case "RC:HQVCMsg", "RC:VcMsg":
			body = "[Voice]"
		case "RC:SightMsg":
			body = "[Video]"
		case "RC:FileMsg":
			body = "[File]"
		case "RC:LBSMsg":
			body = "[Location]"
		case "RC:ImgTextMsg", "RC:CombineMsg", "RC:ReferenceMsg":
			body = "[Message]"
		default:
			return "", "", false
		}
	}
	switch {
	case cfg.DisablePushTitle:
	case cfg.PushTitle != "":
		title = cfg.PushTitle
	case m.ConvType == pb.ConversationType_GROUP:
		title = m.To
		if g, err := s.groups.get(ctx, m.To); err == nil && g.g.Name != "" {
			title = g.g.Name
		}
	default:
		title = m.FromUser
		if ps, err := s.store.People(ctx, []string{m.FromUser}); err == nil && ps[m.FromUser] != nil && ps[m.FromUser].Profile.GetName() != "" {
			title = ps[m.FromUser].Profile.GetName()
		}
	}
	return truncate(title, 100), truncate(body, 200), true
}

// sendWebPush delivers one webpush outbox event; true once it is done
// with (sent, or never to be: the subscription is gone or refused).
func (s *Server) sendWebPush(ctx context.Context, e *store.OutboxEvent) bool {
	st := s.settings.Load()
	if !st.WebPushEnabled {
		return true // turned off since
	}
	var w webPushEvent
	if err := json.Unmarshal(e.Body, &w); err != nil {
		s.log.Error("web push: an event's body", "event", e.EventID, "err", err)
		return true
	}
	if !st.pushEndpointAllowed(w.Endpoint) {
		s.log.Warn("web push: the endpoint's host is not allowed (webPushHosts) since it subscribed", "event", e.EventID)
		return true
	}
	cctx, cancel := context.WithTimeout(ctx, webhookPostTimeout)
	defer cancel()
	resp, err := webpush.SendNotificationWithContext(cctx, w.Payload, &webpush.Subscription{Endpoint: w.Endpoint, Keys: webpush.Keys{P256dh: w.P256dh, Auth: w.Auth}},
		&webpush.Options{HTTPClient: s.hooks, Subscriber: strings.TrimPrefix(st.WebPushContact, "mailto:"), Topic: w.Topic,
			TTL: int(st.WebPushTTLSeconds), Urgency: webpush.UrgencyHigh,
			VAPIDPublicKey: s.vapid.public, VAPIDPrivateKey: s.vapid.private})
	if err != nil {
		s.metrics.webhookFailures.WithLabelValues(outboxWebPush).Inc()
		var ue *url.Error
		if !errors.As(err, &ue) {
			// Not the network: keys that do not decode, a payload that
			// does not encrypt. Retrying changes nothing.
			s.log.Warn("web push: cannot be sent", "event", e.EventID, "err", err)
			return true
		}
		s.log.Debug("web push", "event", e.EventID, "err", err)
		return false
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		s.metrics.webPushSent.Inc()
		return true
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		// The subscription expired or was withdrawn (RFC 8030 §7.3).
		if err := s.store.DeleteWebPush(ctx, "", "", w.Endpoint); err != nil {
			s.log.Warn("web push: forget a gone subscription", "err", err)
			return false
		}
		return true
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		s.metrics.webhookFailures.WithLabelValues(outboxWebPush).Inc()
		return false
	}
	// Refused for good (a payload too large, a VAPID key the subscription
	// was not made with): retrying changes nothing.
	s.metrics.webhookFailures.WithLabelValues(outboxWebPush).Inc()
	s.log.Warn("web push refused", "event", e.EventID, "status", resp.Status)
	return true
}

// apiUserPush answers what decides a user's pushes: whether they are
// online (on any node) and whether each of their sessions is in the
// background (nothing is pushed while online and not inBackground), and
// their devices' Web Push subscriptions (not their keys).
func (s *Server) apiUserPush(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	subs, err := s.store.WebPushOf(r.Context(), user)
	if err != nil {
		return nil, err
	}
	type sub struct {
		DeviceID  string `json:"deviceId"`
		Endpoint  string `json:"endpoint"`
		CreatedAt int64  `json:"createdAt"`
	}
	out := make([]sub, 0, len(subs))
	for _, x := range subs {
		out = append(out, sub{x.Device, x.Endpoint, x.Created})
	}
	quiet, err := s.quietOf(r.Context(), user)
	if err != nil {
		return nil, err
	}
	res := map[string]any{"online": s.online(user), "inBackground": s.online(user) && !s.awake(user), "webPush": out}
	if quiet != nil && quiet.SpanMinutes > 0 {
		res["quietHours"] = map[string]any{"startTime": quiet.StartTime, "spanMinutes": quiet.SpanMinutes, "level": quiet.Level, "timezone": quiet.Timezone}
	}
	if quiet != nil && quiet.Until > 0 {
		res["doNotDisturbUntil"] = quiet.Until
	}
	return res, nil
}

// leftTimes remembers when users last went offline or into the
// background (on any node) for ten to twenty minutes: a message stored
// before then reached them live, and owes no push even when its event is
// handled after they left.
type leftTimes struct {
	mu        sync.Mutex
	cur, prev map[string]int64 // user: when (ms)
	curFrom   int64            // when cur began (ms)
}

// note records that user went offline at (ms).
func (l *leftTimes) note(user string, at int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil || at-l.curFrom > leftKeepMs {
		l.prev, l.cur, l.curFrom = l.cur, map[string]int64{}, at
	}
	l.cur[user] = at
}

// since reports whether user went offline at t or after.
func (l *leftTimes) since(user string, t int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at, ok := l.cur[user]; ok && at >= t {
		return true
	}
	at, ok := l.prev[user]
	return ok && at >= t
}

const leftKeepMs = 10 * 60 * 1000

// online reports whether user has a session on any node.
func (s *Server) online(user string) bool {
	if len(s.hub.sessionsOf(user)) > 0 {
		return true
	}
	on, _ := s.cluster.onlineElsewhere(user)
	return on
}

// awake reports whether user has a session in the foreground on any node:
// while they have, they read their messages live and are not pushed.
func (s *Server) awake(user string) bool {
	return anyForeground(s.hub.sessionsOf(user)) || s.cluster.awakeElsewhere(user)
}

func anyForeground(list []*session) bool {
	for _, ss := range list {
		if !ss.background.Load() {
			return true
		}
	}
	return false
}
