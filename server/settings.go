package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	"github.com/imwasm/imwasm/server/files"
)

// Settings are the app's policies that GET/PUT /v1/settings read and
// change at run time. They are stored, so a change outlives restarts and
// wins over the command line's starting values.
type Settings struct {
	// RecallWindowSeconds: how long after sending a message may be
	// recalled; 0: no limit.
	RecallWindowSeconds int64 `json:"recallWindowSeconds"`
	// MessageRetentionSeconds: messages older than this are deleted; 0:
	// kept forever.
	MessageRetentionSeconds int64 `json:"messageRetentionSeconds"`

	// Read receipts asked at send time (needReceipt) and by request
	// (sendReadReceiptRequest); both count alike.
	ReceiptsEnabled bool `json:"receiptsEnabled"`
	// ReceiptRequesters: "all" members may ask for receipts, or "admins"
	// (owner and admins) only.
	ReceiptRequesters string `json:"receiptRequesters"`
	// ReceiptValiditySeconds: receipts are taken and kept this long after
	// a message was sent (default 3 days).
	ReceiptValiditySeconds int64 `json:"receiptValiditySeconds"`
	// ReceiptMaxReaders: readers listed per message (the newest; who read
	// and the counts stay exact).
	ReceiptMaxReaders int `json:"receiptMaxReaders"`
	// ReceiptDailyQuota: messages asking for receipts per group per day.
	ReceiptDailyQuota int `json:"receiptDailyQuota"`
	// ReceiptMaxGroupMembers: in a group of more members, messages are
	// sent without asking for receipts, and requests do nothing (seed
	// 001's 200); 0: no limit.
	ReceiptMaxGroupMembers int `json:"receiptMaxGroupMembers"`

	// StaticTokens: user tokens without expiry (as RongCloud's and NIM's)
	// are accepted, and issued where asked for (POST /v1/users/{id}/token
	// with static, and RongCloud's user/getToken.json); revoking a user's
	// tokens ends them. Off, such a token is refused at connect.
	StaticTokens bool `json:"staticTokens"`

	// CompatSignatureWindowSeconds: how far a vendor route's signed
	// timestamp may be from the server's clock (RongCloud's Timestamp);
	// 0: any (rongcloud-sdk 3.x signs once, when the backend starts).
	CompatSignatureWindowSeconds int64 `json:"compatSignatureWindowSeconds"`
	// ReaderListVisibleTo: "sender" only, or every "members".
	ReaderListVisibleTo string `json:"readerListVisibleTo"`
	// PrivateReadReceiptsEnabled: sendReadReceiptMessage tells the peer
	// of a private chat; off, it answers 26314 and sends nothing (reading,
	// clearMessagesUnreadStatus, never tells anyone either way).
	PrivateReadReceiptsEnabled bool `json:"privateReadReceiptsEnabled"`

	// UploadMaxBytes: the largest file POST /v1/files takes (26106 beyond).
	UploadMaxBytes int64 `json:"uploadMaxBytes"`
	// UploadQuotaBytes: what each uploader id may keep, each file counting
	// 4 KiB more than its size (26106 beyond); 0: no quota.
	UploadQuotaBytes int64 `json:"uploadQuotaBytes"`

	// Groups: members of one group (25411 beyond), groups one user is in
	// (33003 beyond), managers of one group (25419 beyond).
	GroupMaxMembers  int `json:"groupMaxMembers"`
	GroupMaxJoined   int `json:"groupMaxJoined"`
	GroupMaxManagers int `json:"groupMaxManagers"`

	// People: friends of one user (25467/25468 beyond), users one user
	// blocks (33003 beyond).
	FriendsMax   int `json:"friendsMax"`
	BlacklistMax int `json:"blacklistMax"`
	// Online-status subscriptions: those one user holds (26022 beyond),
	// subscribers of one user (26021 beyond).
	SubscriptionsMax int `json:"subscriptionsMax"`
	SubscribersMax   int `json:"subscribersMax"`

	// Chat rooms: their messages are kept this long (the history a
	// newcomer and getChatroomHistoryMessages read; default 60 days), and
	// a room with no one in it is destroyed after this long (default 1
	// hour), its entries and history with it.
	ChatroomHistorySeconds      int64 `json:"chatroomHistorySeconds"`
	ChatroomEmptyDestroySeconds int64 `json:"chatroomEmptyDestroySeconds"`

	// Ultra groups: members of one group (24411 beyond; default
	// 100,000), channels besides the default one (24413 beyond; 50).
	UltraGroupMaxMembers  int `json:"ultraGroupMaxMembers"`
	UltraGroupMaxChannels int `json:"ultraGroupMaxChannels"`

	// The before-send webhook (docs/http-api.md#webhooks): a user's
	// message is posted to this URL before it is stored ("": none), the
	// answer awaited this long (1-10,000 ms; default 1,000), and a failure
	// or no answer taken as "pass" (stored as sent) or "block".
	BeforeSendURL       string `json:"beforeSendUrl"`
	BeforeSendTimeoutMs int    `json:"beforeSendTimeoutMs"`
	BeforeSendOnFailure string `json:"beforeSendOnFailure"`

	// The events webhook: every message stored and users going online and
	// offline are posted to this URL ("": none), from a durable outbox,
	// retried until delivered or this long after the event (default a
	// day).
	WebhookURL          string `json:"webhookUrl"`
	WebhookRetrySeconds int64  `json:"webhookRetrySeconds"`

	// Push to users with no device connected (docs/http-api.md#push): Web
	// Push to their browsers' subscriptions (the VAPID contact, an e-mail
	// address or https URL the push services may reach the app's operator
	// at; a push service keeps an undelivered push this long, 0-28 days,
	// default 1 day), and the offline-push webhook an app's own mobile
	// push bridges from ("": none).
	WebPushEnabled    bool   `json:"webPushEnabled"`
	WebPushContact    string `json:"webPushContact"`
	WebPushTTLSeconds int64  `json:"webPushTtlSeconds"`
	PushWebhookURL    string `json:"pushWebhookUrl"`
	// WebPushHosts are the push services a subscription's endpoint may
	// name (a host, "*.domain" for its subdomains, "*" for any): a user
	// hands the server the URL it posts to, which must not be a host of
	// the app's own network. Default: the browsers' push services.
	WebPushHosts []string `json:"webPushHosts"`
}

// defaultWebPushHosts are the push services of Chrome (and the browsers
// on FCM), Firefox, Safari and Edge.
var defaultWebPushHosts = []string{"fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com", "*.notify.windows.com"}

// validHostPattern: a host name or IPv4 address of ASCII labels, or
// "*." and one.
func validHostPattern(h string) bool {
	h = strings.TrimPrefix(h, "*.")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// pushEndpointAllowed reports whether a Web Push endpoint is on a push
// service of WebPushHosts.
func (st *Settings) pushEndpointAllowed(endpoint string) bool {
	u, err := url.Parse(endpoint)
	return err == nil && webPushHostAllowed(st.WebPushHosts, u.Hostname())
}

// webPushHostAllowed reports whether host (no port: any port of an
// allowed host is allowed) is one of hosts.
func webPushHostAllowed(hosts []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range hosts {
		if h == "*" || h == host || strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) {
			return true
		}
	}
	return false
}

const settingsKey = "app"

// storeSettings makes st the settings in effect.
func (s *Server) storeSettings(st *Settings) {
	s.settings.Store(st)
	s.store.SetOutbox(st.WebhookURL != "" || st.pushOn()) // each stored message's event goes into the outbox from now on
	s.wakeWebhooks()
}

func (st Settings) recallWindow() time.Duration {
	return seconds(st.RecallWindowSeconds)
}

// seconds converts a duration setting, held to 0-MaxDurationSeconds so
// that the product cannot overflow whatever reached the settings.
func seconds(n int64) time.Duration {
	return time.Duration(min(max(n, 0), MaxDurationSeconds)) * time.Second
}

// durationSettings name the settings that are seconds, for the checks at
// PUT and at load.
func (st *Settings) durationSettings() map[string]*int64 {
	return map[string]*int64{
		"recallWindowSeconds":          &st.RecallWindowSeconds,
		"messageRetentionSeconds":      &st.MessageRetentionSeconds,
		"receiptValiditySeconds":       &st.ReceiptValiditySeconds,
		"compatSignatureWindowSeconds": &st.CompatSignatureWindowSeconds,
		"chatroomHistorySeconds":       &st.ChatroomHistorySeconds,
		"chatroomEmptyDestroySeconds":  &st.ChatroomEmptyDestroySeconds,
		"webhookRetrySeconds":          &st.WebhookRetrySeconds,
	}
}

// checkSeconds refuses a duration setting or parameter outside
// least-MaxDurationSeconds.
func checkSeconds(name string, v, least int64) error {
	if v < least || v > MaxDurationSeconds {
		return badRequest(fmt.Sprintf("%s must be %d-%d (at most 100 years), got %d", name, least, MaxDurationSeconds, v))
	}
	return nil
}

// settingsFrom are the starting settings the configuration gives.
func settingsFrom(cfg Config) *Settings {
	st := &Settings{
		ReceiptsEnabled:              true,
		ReceiptRequesters:            "all",
		ReceiptValiditySeconds:       3 * 24 * 3600,
		ReceiptMaxReaders:            500,
		CompatSignatureWindowSeconds: 300,
		ReceiptDailyQuota:            500,
		ReaderListVisibleTo:          "sender",
		PrivateReadReceiptsEnabled:   true,
		UploadMaxBytes:               cfg.MaxUploadBytes,
		UploadQuotaBytes:             max(cfg.UploadQuotaBytes, 0), // negative: none
		GroupMaxMembers:              contract.MaxGroupMembers,
		GroupMaxJoined:               contract.MaxJoinedGroups,
		GroupMaxManagers:             contract.MaxGroupManagers,
		FriendsMax:                   contract.MaxFriends,
		BlacklistMax:                 contract.MaxBlacklist,
		SubscriptionsMax:             contract.MaxSubscriptions,
		SubscribersMax:               contract.MaxSubscribers,
		ChatroomHistorySeconds:       60 * 24 * 3600,
		ChatroomEmptyDestroySeconds:  3600,
		UltraGroupMaxMembers:         100000,
		UltraGroupMaxChannels:        50,
		BeforeSendTimeoutMs:          1000,
		BeforeSendOnFailure:          "pass",
		WebhookRetrySeconds:          24 * 3600,
		WebPushContact:               "admin@localhost",
		WebPushTTLSeconds:            24 * 3600,
		WebPushHosts:                 slices.Clone(defaultWebPushHosts), // loading stored settings decodes into it
	}
	if cfg.RecallWindow > 0 {
		st.RecallWindowSeconds = int64((cfg.RecallWindow + time.Second - 1) / time.Second)
	}
	return st
}

// loadSettings applies what is stored over the configuration's.
func (s *Server) loadSettings(ctx context.Context) error {
	s.settingsMu.Lock() // a change made here meanwhile is not put back by an older read
	defer s.settingsMu.Unlock()
	return s.loadSettingsLocked(ctx)
}

func (s *Server) loadSettingsLocked(ctx context.Context) error {
	st := *settingsFrom(s.cfg)
	b, err := s.store.Setting(ctx, settingsKey)
	if err != nil {
		return err
	}
	if b != nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("stored settings: %w", err)
		}
	}
	// An older version stored whatever it was given: a value past the
	// limit would overflow (a retention of 1,000 years deleted everything
	// at each pass), so it is held to the limit until someone changes it.
	for name, v := range st.durationSettings() {
		if *v > MaxDurationSeconds {
			s.log.Warn("stored setting over 100 years: using 100 years", "setting", name, "stored", *v, "used", int64(MaxDurationSeconds))
			*v = MaxDurationSeconds
		}
	}
	s.storeSettings(&st)
	return nil
}

func (s *Server) apiGetSettings(r *http.Request) (any, error) {
	return s.settings.Load(), nil
}

// settingsBody is PUT /v1/settings's body: the settings to change.
type settingsBody struct {
	RecallWindowSeconds     *int64   `json:"recallWindowSeconds"`
	MessageRetentionSeconds *int64   `json:"messageRetentionSeconds"`
	ReceiptsEnabled         *bool    `json:"receiptsEnabled"`
	ReceiptRequesters       *string  `json:"receiptRequesters"`
	ReceiptValiditySeconds  *int64   `json:"receiptValiditySeconds"`
	ReceiptMaxReaders       *int     `json:"receiptMaxReaders"`
	ReceiptDailyQuota       *int     `json:"receiptDailyQuota"`
	ReceiptMaxGroupMembers  *int     `json:"receiptMaxGroupMembers"`
	CompatSignatureWindow   *int64   `json:"compatSignatureWindowSeconds"`
	StaticTokens            *bool    `json:"staticTokens"`
	ReaderListVisibleTo     *string  `json:"readerListVisibleTo"`
	PrivateReadReceipts     *bool    `json:"privateReadReceiptsEnabled"`
	UploadMaxBytes          *int64   `json:"uploadMaxBytes"`
	UploadQuotaBytes        *int64   `json:"uploadQuotaBytes"`
	GroupMaxMembers         *int     `json:"groupMaxMembers"`
	GroupMaxJoined          *int     `json:"groupMaxJoined"`
	GroupMaxManagers        *int     `json:"groupMaxManagers"`
	FriendsMax              *int     `json:"friendsMax"`
	BlacklistMax            *int     `json:"blacklistMax"`
	SubscriptionsMax        *int     `json:"subscriptionsMax"`
	SubscribersMax          *int     `json:"subscribersMax"`
	ChatroomHistory         *int64   `json:"chatroomHistorySeconds"`
	ChatroomEmptyDestroy    *int64   `json:"chatroomEmptyDestroySeconds"`
	UltraGroupMaxMembers    *int     `json:"ultraGroupMaxMembers"`
	UltraGroupMaxChannels   *int     `json:"ultraGroupMaxChannels"`
	BeforeSendURL           *string  `json:"beforeSendUrl"`
	BeforeSendTimeoutMs     *int     `json:"beforeSendTimeoutMs"`
	BeforeSendOnFailure     *string  `json:"beforeSendOnFailure"`
	WebhookURL              *string  `json:"webhookUrl"`
	WebhookRetrySeconds     *int64   `json:"webhookRetrySeconds"`
	WebPushEnabled          *bool    `json:"webPushEnabled"`
	WebPushContact          *string  `json:"webPushContact"`
	WebPushTTLSeconds       *int64   `json:"webPushTtlSeconds"`
	PushWebhookURL          *string  `json:"pushWebhookUrl"`
	WebPushHosts            []string `json:"webPushHosts"`
}

// apiPutSettings changes the settings named in the body; the others stay.
func (s *Server) apiPutSettings(r *http.Request) (any, error) {
	var body settingsBody
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	st, err := s.changeSettings(r.Context(), body.named(), body.apply)
	if err != nil {
		return nil, err
	}
	if st.MessageRetentionSeconds > 0 {
		s.applyRetention(r.Context()) // a shorter retention applies now (not under the lock: the bus's reload takes it)
	}
	return st, nil
}

// changeSettings applies change to the settings as stored, under
// settingsMu: another node's change may not have reached this one yet, and
// writing the settings whole from this node's copy would undo it. It
// stores the named settings (JSON names) over those stored before: the
// others keep coming from the configuration (a flag changed at a restart
// applies), and tells the other nodes. (Two nodes' PUTs of one field at
// once: the last stored wins, and each node then reloads it.)
func (s *Server) changeSettings(ctx context.Context, named []string, change func(*Settings) error) (*Settings, error) {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if err := s.loadSettingsLocked(ctx); err != nil {
		return nil, err
	}
	st := *s.settings.Load()
	if err := change(&st); err != nil {
		return nil, err
	}
	all := map[string]json.RawMessage{}
	if b, err := json.Marshal(st); err != nil {
		return nil, err
	} else if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	fields := make(map[string]json.RawMessage, len(named))
	for _, k := range named {
		if v, ok := all[k]; ok {
			fields[k] = v
		}
	}
	// Merged in the store: another node's PUT of other fields at once
	// stands too.
	if err := s.store.MergeSetting(ctx, settingsKey, fields); err != nil {
		return nil, err
	}
	s.storeSettings(&st)
	s.cluster.broadcast(&busEvent{Kind: evSettings})
	return &st, nil
}

// named lists the settings body gives (their JSON names).
func (body *settingsBody) named() []string {
	b, err := json.Marshal(body)
	if err != nil {
		return nil
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(b, &all) != nil {
		return nil
	}
	var names []string
	for k, v := range all {
		if string(v) != "null" {
			names = append(names, k)
		}
	}
	return names
}

// apply sets the fields given on st, each checked.
func (body *settingsBody) apply(st *Settings) error {
	if v := body.RecallWindowSeconds; v != nil {
		if err := checkSeconds("recallWindowSeconds", *v, 0); err != nil {
			return err
		}
		st.RecallWindowSeconds = *v
	}
	if v := body.MessageRetentionSeconds; v != nil {
		if err := checkSeconds("messageRetentionSeconds", *v, 0); err != nil {
			return err
		}
		st.MessageRetentionSeconds = *v
	}
	if v := body.ReceiptsEnabled; v != nil {
		st.ReceiptsEnabled = *v
	}
	if v := body.ChatroomHistory; v != nil {
		if err := checkSeconds("chatroomHistorySeconds", *v, 1); err != nil {
			return err
		}
		st.ChatroomHistorySeconds = *v
	}
	if v := body.ChatroomEmptyDestroy; v != nil {
		if err := checkSeconds("chatroomEmptyDestroySeconds", *v, 1); err != nil {
			return err
		}
		st.ChatroomEmptyDestroySeconds = *v
	}
	if v := body.BeforeSendURL; v != nil {
		if err := checkWebhookURL("beforeSendUrl", *v); err != nil {
			return err
		}
		st.BeforeSendURL = *v
	}
	if v := body.WebhookURL; v != nil {
		if err := checkWebhookURL("webhookUrl", *v); err != nil {
			return err
		}
		st.WebhookURL = *v
	}
	if v := body.PushWebhookURL; v != nil {
		if err := checkWebhookURL("pushWebhookUrl", *v); err != nil {
			return err
		}
		st.PushWebhookURL = *v
	}
	if v := body.WebPushEnabled; v != nil {
		st.WebPushEnabled = *v
	}
	if v := body.WebPushContact; v != nil {
		if !validPushContact(*v) {
			return badRequest("webPushContact must be an e-mail address or an https URL")
		}
		st.WebPushContact = *v
	}
	if v := body.WebPushHosts; v != nil {
		if len(v) > 32 {
			return badRequest("webPushHosts: at most 32")
		}
		hosts := make([]string, len(v))
		for i, h := range v {
			h = strings.TrimSuffix(strings.ToLower(h), ".")
			if h != "*" && !validHostPattern(h) {
				return badRequest(`webPushHosts: each a host name (ASCII: punycode), "*.domain" or "*", got ` + strconv.Quote(truncate(v[i], 64)))
			}
			hosts[i] = h
		}
		st.WebPushHosts = hosts
	}
	if v := body.WebPushTTLSeconds; v != nil {
		if *v < 0 || *v > 28*24*3600 {
			return badRequest("webPushTtlSeconds must be 0-2419200 (28 days)")
		}
		st.WebPushTTLSeconds = *v
	}
	if v := body.WebhookRetrySeconds; v != nil {
		if err := checkSeconds("webhookRetrySeconds", *v, 1); err != nil {
			return err
		}
		st.WebhookRetrySeconds = *v
	}
	if v := body.BeforeSendOnFailure; v != nil {
		if *v != "pass" && *v != "block" {
			return badRequest(`beforeSendOnFailure must be "pass" or "block"`)
		}
		st.BeforeSendOnFailure = *v
	}
	if v := body.ReceiptRequesters; v != nil {
		if *v != "all" && *v != "admins" {
			return badRequest(`receiptRequesters must be "all" or "admins"`)
		}
		st.ReceiptRequesters = *v
	}
	if v := body.ReceiptValiditySeconds; v != nil {
		if err := checkSeconds("receiptValiditySeconds", *v, 1); err != nil {
			return err
		}
		st.ReceiptValiditySeconds = *v
	}
	if v := body.ReceiptMaxReaders; v != nil {
		if *v < 1 || *v > 10000 {
			return badRequest("receiptMaxReaders must be 1-10000")
		}
		st.ReceiptMaxReaders = *v
	}
	if v := body.ReceiptDailyQuota; v != nil {
		if *v < 0 {
			return badRequest("receiptDailyQuota must not be negative")
		}
		st.ReceiptDailyQuota = *v
	}
	if v := body.StaticTokens; v != nil {
		st.StaticTokens = *v
	}
	if v := body.CompatSignatureWindow; v != nil {
		if err := checkSeconds("compatSignatureWindowSeconds", *v, 0); err != nil {
			return err
		}
		st.CompatSignatureWindowSeconds = *v
	}
	if v := body.ReceiptMaxGroupMembers; v != nil {
		if *v < 0 {
			return badRequest("receiptMaxGroupMembers must not be negative")
		}
		st.ReceiptMaxGroupMembers = *v
	}
	if v := body.ReaderListVisibleTo; v != nil {
		if *v != "sender" && *v != "members" {
			return badRequest(`readerListVisibleTo must be "sender" or "members"`)
		}
		st.ReaderListVisibleTo = *v
	}
	if v := body.PrivateReadReceipts; v != nil {
		st.PrivateReadReceiptsEnabled = *v
	}
	for _, l := range []struct {
		name    string
		v       *int
		max     int
		setting *int
	}{
		{"groupMaxMembers", body.GroupMaxMembers, 100000, &st.GroupMaxMembers},
		{"groupMaxJoined", body.GroupMaxJoined, 100000, &st.GroupMaxJoined},
		{"groupMaxManagers", body.GroupMaxManagers, 100, &st.GroupMaxManagers},
		{"friendsMax", body.FriendsMax, 100000, &st.FriendsMax},
		{"blacklistMax", body.BlacklistMax, 100000, &st.BlacklistMax},
		{"subscriptionsMax", body.SubscriptionsMax, 100000, &st.SubscriptionsMax},
		{"subscribersMax", body.SubscribersMax, 1000000, &st.SubscribersMax},
		{"ultraGroupMaxMembers", body.UltraGroupMaxMembers, 1000000, &st.UltraGroupMaxMembers},
		{"ultraGroupMaxChannels", body.UltraGroupMaxChannels, 1000, &st.UltraGroupMaxChannels},
		{"beforeSendTimeoutMs", body.BeforeSendTimeoutMs, 10000, &st.BeforeSendTimeoutMs},
	} {
		if l.v != nil {
			if *l.v < 1 || *l.v > l.max {
				return badRequest(fmt.Sprintf("%s must be 1-%d", l.name, l.max))
			}
			*l.setting = *l.v
		}
	}
	if v := body.UploadMaxBytes; v != nil {
		if *v <= 0 {
			return badRequest("uploadMaxBytes must be positive")
		}
		st.UploadMaxBytes = *v
	}
	if v := body.UploadQuotaBytes; v != nil {
		if *v < 0 {
			return badRequest("uploadQuotaBytes must not be negative (0: no quota)")
		}
		st.UploadQuotaBytes = *v
	}
	return nil
}

// retentionLoop deletes expired messages every interval.
func (s *Server) retentionLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.applyRetention(ctx)
		}
	}
}

func (s *Server) applyRetention(ctx context.Context) {
	s.expireReceipts(ctx)
	// The cutoff is a rule, on the server's clock (tests move it); what it
	// is compared with, sent times and file creation times, is data on the
	// real clock.
	cutoff, ok := retentionCutoff(s.cfg.Now(), s.settings.Load().MessageRetentionSeconds)
	if !ok {
		return
	}
	n, err := s.store.DeleteBefore(ctx, cutoff)
	if err != nil {
		s.log.Error("retention", "err", err)
		return
	}
	// Files the nodes share are deleted by one node (two deleting the same
	// file would both give its room back to the quota).
	if !s.filesShared() || s.cluster.owner("retention of files") == s.bus.ID() {
		if nf, err := s.deleteFiles(ctx, func(m files.Meta) bool { return m.Created.Before(cutoff) }); err != nil {
			s.log.Error("retention: files", "err", err)
		} else if nf > 0 {
			s.log.Info("retention: files deleted", "count", nf)
		}
	}
	if n > 0 {
		s.log.Info("retention: messages deleted", "count", n)
	}
	s.log.Debug("retention pass", "cutoff", cutoff)
}

// retentionCutoff is the time before which messages and files go, if a
// retention is set. It is never after now, whatever keepSeconds holds:
// were the subtraction to overflow, everything would be older than it.
func retentionCutoff(now time.Time, keepSeconds int64) (time.Time, bool) {
	if keepSeconds <= 0 {
		return time.Time{}, false
	}
	cutoff := now.Add(-seconds(keepSeconds))
	if !cutoff.Before(now) {
		return time.Time{}, false
	}
	return cutoff, true
}

// validPushContact reports whether v may be the VAPID JWT's sub (RFC 8292
// §2.1): an https URL, or an e-mail address (with or without mailto:,
// which the push library adds).
func validPushContact(v string) bool {
	c := strings.TrimPrefix(v, "mailto:")
	if c == "" || len(c) > 256 || strings.ContainsAny(c, " \t\r\n") {
		return false
	}
	if strings.HasPrefix(c, "https://") {
		u, err := url.Parse(c)
		return err == nil && u.Host != ""
	}
	a, err := mail.ParseAddress(c)
	return err == nil && a.Address == c
}
