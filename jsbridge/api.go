//go:build js && wasm

package jsbridge

import (
	"context"
	"encoding/base64"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/internal/tasks"
	"github.com/imwasm/imwasm/jsbridge/idbstore"
	"github.com/imwasm/imwasm/jsbridge/jsfunc"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Bridge is the SDK as JavaScript sees it: the functions Register puts on
// one JS object, an engine behind them, and the dispatch of the engine's
// events to the JS listeners (one JS call per batch).
type Bridge struct {
	mu     sync.Mutex
	cfg    *client.Config // from init; nil before
	eng    *client.Engine // for user, created by the first connect
	store  client.Store   // eng's
	user   string
	appKey string
	useIDB bool         // keep the device's data in IndexedDB (browsers), else in memory
	emit   safejs.Value // the JS side's dispatcher: emit([[name, payload], ...])
	log    *jsfunc.Console

	// Lifetime. Engines the bridge replaces are closed (retire), and so is
	// the last one by Close.
	closed    bool          // Close began: calls answer ClientNotInit
	retired   chan struct{} // closed once the engines retired so far are closed
	tasks     tasks.Group   // the goroutines of calls in progress and of retirements
	closeReq  chan struct{} // see CloseRequested
	closeOnce sync.Once

	// __call's functions, set by Register.
	calls     map[string]func(args []safejs.Value) (work, error)
	moreCalls func() map[string]func(args []safejs.Value) (work, error)

	latestDocs latestDocs // the conversation lists' latest messages as JSON
}

// Register puts the SDK's functions on target: the asynchronous ones
// behind target.__call(name, ...args), the few synchronous ones by name.
// Each takes JS arguments, checks what it needs
// (BIZ_ERROR_INVALID_PARAMETER otherwise) and answers a Promise of {code,
// msg?, data?}; the synchronous ones answer a value.
func (b *Bridge) Register(target safejs.Value) error {
	b.log = jsfunc.NewConsole(client.LevelWarn)
	b.closeReq = make(chan struct{})
	async := map[string]func(args []safejs.Value) (func() (any, error), error){
		"connect":                        b.connect,
		"disconnect":                     b.disconnect,
		"renewToken":                     b.renewToken,
		"sendMessage":                    b.sendMessage,
		"forwardMessage":                 b.forwardMessage,
		"recallMessage":                  b.recallMessage,
		"deleteMessages":                 b.deleteMessages,
		"clearHistoryMessages":           b.clearHistoryMessages,
		"sendTypingStatusMessage":        b.sendTypingStatus,
		"updateMessageExpansion":         b.updateExpansion,
		"removeMessageExpansionForKey":   b.removeExpansion,
		"getHistoryMessages":             b.history(false),
		"getRemoteHistoryMessages":       b.history(true),
		"getConversationList":            b.conversationList,
		"getUnreadCount":                 b.unreadCount,
		"getTotalUnreadCount":            b.totalUnreadCount,
		"clearMessagesUnreadStatus":      b.clearUnread,
		"clearMessages":                  b.clearLocalMessages,
		"deleteLocalMessagesByTimestamp": b.deleteLocalByTime,
		"getMessage":                     b.getLocalMessage,

		"setConversationToTop":                  b.setToTop,
		"batchSetConversationToTop":             b.batchSetToTop,
		"setConversationNotificationLevel":      b.setNotificationLevel,
		"batchSetConversationNotificationLevel": b.batchSetNotificationLevel,
		"setConversationNotificationStatus":     b.setNotificationStatus,
		"getConversationNotificationLevel":      b.notificationLevel,
		"getConversationNotificationStatus":     b.notificationStatus,
		"getTopConversationList":                b.filteredList(func(ci client.ConversationInfo) bool { return ci.IsTop }),
		"getBlockedConversationList":            b.filteredList(func(ci client.ConversationInfo) bool { return ci.Muted }),
		"setConversationTypeNotificationLevel":  b.setTypeLevel,
		"getConversationTypeNotificationLevel":  b.typeLevel,
		"setDoNotDisturb":                       b.setDoNotDisturb,
		"getDoNotDisturb":                       b.getDoNotDisturb,
		"saveTextMessageDraft":                  b.saveDraft,
		"getConversationListByTimestamp":        b.conversationListByTime,
		"getAllConversationList":                b.allConversations,
		"getConversation":                       b.conversation,
		"removeConversation":                    b.removeConversation,
		"getFirstUnreadMessage":                 b.firstUnread,
		"getFirstUnreadMessageInfo":             b.firstUnreadInfo,
		"getUnreadMentionedCount":               b.unreadMentions,
		"getAllUnreadMentionedCount":            b.allUnreadMentions,
		"clearAllMessagesUnreadStatus":          b.clearAllUnread,
		"sendSyncReadStatusMessage":             b.syncReadStatus,
		"getMessagesByUIds":                     b.messagesByUIDs,
		"batchClearRemoteHistoryMessages":       b.batchClearHistory,
		"batchRemoveConversation":               b.batchRemoveConversations,
		"getUnreadConversationList":             b.filteredList(func(ci client.ConversationInfo) bool { return ci.UnreadCount > 0 }),
		"getTextMessageDraft":                   b.getDraft,
		"clearTextMessageDraft":                 b.clearDraft,
		"markRemoteConversationAsRead":          b.clearUnread,
		"clearRealtimeConUnreadCount":           b.clearUnread,
		"clearUnreadCountByTimestamp":           b.syncReadStatus,
		"getRealtimeConTotalUnreadCount":        b.totalUnreadCount,
		"removeRealtimeConversations":           b.batchRemoveConversations,
		"getRealtimeConversations":              b.realtimeConversations,
		"getRealtimeConUnreadCounts":            b.unreadCounts,
		"getTotalUnreadCountByLevels":           b.unreadByLevels(false),
		"getTotalUnreadMentionedCountByLevels":  b.unreadByLevels(true),
		"getUnreadMentionMeConversationList":    b.mentionMeConversations,
		"getUnreadMentionedMessages":            b.unreadMentionedMessages,
		"batchDeleteConversations":              b.batchDeleteConversations,
		"modifyMessageWithParams":               b.modifyWithParams,
		"modifyMessage":                         b.modifyMessage,
		"setMessageReceivedStatus":              b.setReceivedStatus,
		"__referencedMessages":                  b.referencedMessages,
		"searchMessages":                        b.searchMessages,
		"searchConversationByContent":           b.searchConversations,
		"__conversationPage":                    b.conversationPage,
		"addTag":                                b.tagParamCall(pb.TagOp_TAG_ADD),
		"updateTag":                             b.tagParamCall(pb.TagOp_TAG_UPDATE),
		"removeTag":                             b.removeTag,
		"getTags":                               b.getTags,
		"getTagsFromConversation":               b.tagsOfConversation,
		"addConversationsToTag":                 b.tagConversations(pb.TagOp_TAG_ADD_CONVS),
		"removeConversationsFromTag":            b.tagConversations(pb.TagOp_TAG_REMOVE_CONVS),
		"removeTagFromConversations":            b.tagConversations(pb.TagOp_TAG_REMOVE_CONVS),
		"removeTagsFromConversation":            b.removeTagsFromConversation,
		"getConversationsFromTagByPage":         b.conversationsByTag,
		"getUnreadCountByTag":                   b.unreadCountByTag,
		"setConversationToTopInTag":             b.setTopInTag,

		"sendReadReceiptMessage":                   b.sendReadReceipt,
		"sendReadReceiptRequest":                   b.sendReceiptRequest,
		"sendReadReceiptResponseV2":                b.sendReceiptResponseV2,
		"sendReadReceiptResponseV5":                b.sendReceiptResponseV5,
		"getMessageReader":                         b.getMessageReader,
		"getMessageReadReceiptInfoV5":              b.getReceiptInfoV5,
		"getMessagesReadReceiptUsersByPageV5":      b.getReceiptUsersV5,
		"getMessagesReadReceiptByUsersV5":          b.getReceiptByUsersV5,
		"getMessageReadReceiptInfoV5ByIdentifiers": b.getReceiptInfoV5ByIDs,
		"sendReadReceiptResponse":                  b.sendReceiptResponseV1,
		"sendMessageReadAck":                       b.sendMessageReadAck,
		"sendConversationReadAck":                  b.sendConversationReadAck,
		"__failHeld":                               b.failHeld,
		"__webPush":                                b.webPush,
	}
	b.calls = async
	// Groups, people, chat rooms and ultra groups: their tables are made
	// by the first call of one, not on a cold start's path (the code that
	// makes them runs, and is compiled, only then: 5-14 ms in Chromium).
	b.moreCalls = sync.OnceValue(func() map[string]func([]safejs.Value) (work, error) {
		m := b.groupFunctions()
		maps.Copy(m, b.peopleFunctions())
		maps.Copy(m, b.chatroomFunctions())
		maps.Copy(m, b.ultraGroupFunctions())
		return m
	})
	syncFns := map[string]func(args []safejs.Value) any{
		"__call":              b.call,
		"init":                b.init,
		"getConnectionStatus": b.connectionStatus,
		"getCurrentUserId":    b.currentUserID,
		"getServerTime":       b.serverTime,
		"getDeviceId":         b.deviceID,
		"getAppSettings":      b.appSettings,
		"__uploadLimit":       b.uploadLimit,
		"__serverUrl":         b.serverURL,
		"__close":             b.requestClose,
	}
	for name, fn := range syncFns {
		if err := b.export(target, name, fn); err != nil {
			return err
		}
	}
	return nil
}

// call is __call(name, ...args): the asynchronous functions by name,
// through one export. One export each (~300) took 10-25 ms of a cold start
// in Chromium, on its path (each a function made in JavaScript and a
// property set, by code not warm yet; BENCHMARKS.md).
func (b *Bridge) call(args []safejs.Value) any {
	name, err := asString(arg(args, 0), "name")
	fn, ok := b.calls[name]
	if !ok {
		fn, ok = b.moreCalls()[name]
	}
	switch {
	case err != nil:
		err = codes.New(codes.OperationNotSupport, "__call: the function's name must be a string")
	case !ok: // an index.js newer than its wasm (a cached old one), say
		err = codes.New(codes.OperationNotSupport, "this SDK's wasm has no function "+strconv.Quote(name[:min(len(name), 64)])+" (index.js and imwasm.wasm of different versions?)")
	}
	if err != nil {
		return b.promise("__call", nil, func([]safejs.Value) (work, error) { return nil, err })
	}
	return b.promise(name, args[1:], fn)
}

// export puts fn on target as name. A panic in it answers {code: -1, msg:
// "internal error"} (see jsfunc.Recovered).
func (b *Bridge) export(target safejs.Value, name string, fn func([]safejs.Value) any) error {
	f, err := jsfunc.FuncOf(b.log, name, fn, func(err error) any { return result(nil, err) })
	if err != nil {
		return err
	}
	return target.Set(name, f.Value())
}

// CloseRequested is closed once JavaScript calls __close (npm's index.js
// does when a later init replaces this runtime): the program then calls
// Close.
func (b *Bridge) CloseRequested() <-chan struct{} { return b.closeReq }

func (b *Bridge) requestClose([]safejs.Value) any {
	b.closeOnce.Do(func() { close(b.closeReq) })
	return nil
}

// Close closes the engine and its store and waits for the calls in
// progress and the engines being closed; every call after it answers
// ClientNotInit. It waits on IndexedDB and WebSocket callbacks, so it must
// not run in one (nor in a synchronous call from JavaScript).
func (b *Bridge) Close() {
	b.mu.Lock()
	b.closed = true
	eng, st := b.eng, b.store
	b.eng, b.store = nil, nil
	b.mu.Unlock()
	b.tasks.Stop()
	b.latestDocs.drop()
	if eng != nil {
		closeEngine(eng, st)
	}
	b.tasks.Wait()
}

func errBridgeClosed() error {
	return codes.New(codes.ClientNotInit, "this SDK instance is closed (a later init replaced it)")
}

// closeEngine closes eng, then the store it used (IndexedDB's is ours to
// close; memstore has nothing to close).
func closeEngine(eng *client.Engine, st client.Store) {
	eng.Close()
	if c, ok := st.(interface{ Close() }); ok {
		c.Close()
	}
}

// retireLocked takes the engine from the bridge and closes it on a
// goroutine: init is a synchronous call from JavaScript, and closing waits
// for IndexedDB callbacks, which run only once it has returned. engineFor
// makes the next engine once retired ones are closed, so that their last
// events come first. The caller holds b.mu and has checked b.closed.
func (b *Bridge) retireLocked() {
	eng, st := b.eng, b.store
	b.eng, b.store = nil, nil
	if eng == nil {
		return
	}
	b.latestDocs.drop()
	prev, done := b.retired, make(chan struct{})
	b.retired = done
	b.tasks.Go(func() { // not closed (the caller checked): never refused
		closeEngine(eng, st)
		if prev != nil {
			<-prev
		}
		close(done)
	})
}

// retireIfStoreFailed drops eng when its database could not be opened (a
// quota, another tab blocking an upgrade past the timeout) or another tab
// took it (a newer SDK's upgrade, a delete): the next connect makes a new
// engine and tries the open again, rather than every call failing until
// the next init.
func (b *Bridge) retireIfStoreFailed(eng *client.Engine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.eng != eng {
		return
	}
	if st, ok := b.store.(*idbstore.Store); ok && st.Failed() {
		b.retireLocked()
	}
}

// conversationsJS is a list of conversations as JS values (latestDocs).
func (b *Bridge) conversationsJS(eng *client.Engine, list []client.ConversationInfo) []any {
	b.mu.Lock()
	current := b.eng == eng
	b.mu.Unlock()
	return b.latestDocs.list(eng, list, current)
}

// result is {code, msg?, data?} for JS.
func result(data any, err error) js.Value {
	out := map[string]any{"code": 0}
	if err != nil {
		out["code"], out["msg"] = int(codes.Of(err)), err.Error()
		if ce, ok := err.(*codes.Error); ok {
			out["msg"] = ce.Msg
		}
	}
	if data != nil {
		out["data"] = data
	}
	v, verr := toJS(out)
	if verr != nil {
		v, _ = safejs.ValueOf(map[string]any{"code": int(codes.Timeout), "msg": "result conversion: " + verr.Error()})
	}
	return safejs.Unsafe(v)
}

// promise checks the arguments now and runs the work on a goroutine; the
// returned Promise resolves with its result. A panic anywhere resolves it
// with an error code and leaves the runtime running.
func (b *Bridge) promise(name string, args []safejs.Value, fn func([]safejs.Value) (func() (any, error), error)) any {
	var resolve safejs.Value
	exec, err := jsfunc.FuncOf(b.log, name, func(a []safejs.Value) any {
		if len(a) > 0 {
			resolve = a[0]
		}
		return nil
	}, nil)
	if err != nil {
		return result(nil, err)
	}
	defer exec.Release()
	ctor, err := safejs.Global().Get("Promise")
	if err != nil {
		return result(nil, err)
	}
	p, err := ctor.New(exec.Value())
	if err != nil {
		return result(nil, err)
	}
	done := func(v any, err error) {
		if _, cerr := resolve.Invoke(result(v, err)); cerr != nil {
			b.log.Log(client.LevelError, "imwasm: resolve "+name, "err", cerr.Error())
		}
	}
	fail := func(err error) { done(nil, err) }
	func() {
		defer jsfunc.Recovered(b.log, name, fail)
		work, err := fn(args)
		if err != nil {
			done(nil, err)
			return
		}
		started := b.tasks.Go(func() {
			defer jsfunc.Recovered(b.log, name, fail)
			done(work())
		})
		if !started {
			done(nil, errBridgeClosed())
		}
	}()
	return safejs.Unsafe(p)
}

func (b *Bridge) engine() (*client.Engine, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return nil, errBridgeClosed()
	case b.cfg == nil:
		return nil, codes.New(codes.ClientNotInit, "call init first")
	case b.eng == nil:
		return nil, codes.New(codes.NetChannelInvalid, "call connect first")
	}
	return b.eng, nil
}

func arg(args []safejs.Value, i int) safejs.Value {
	if i < len(args) {
		return args[i]
	}
	return safejs.Undefined()
}

// init(options, emit, deviceId): the JS side calls it once the runtime is
// up, with init's options, its event dispatcher and the device id it keeps
// (localStorage in browsers).
func (b *Bridge) init(args []safejs.Value) any {
	opts, emit, dev := arg(args, 0), arg(args, 1), arg(args, 2)
	err := func() error {
		if err := object(opts, "options"); err != nil {
			return err
		}
		if emit.Type() != safejs.TypeFunction {
			return invalid("emit must be a function")
		}
		appKey, err := reqString(opts, "appkey")
		if err != nil {
			return err
		}
		deviceID, err := asString(dev, "deviceId")
		if err != nil || deviceID == "" {
			deviceID = "d" + strconv.FormatUint(rand.Uint64(), 36) + strconv.FormatUint(rand.Uint64(), 36)
		}
		// serverUrl, then navigators (RongIMLib's own option): the servers
		// of one cluster, tried in order (client.Config.Fallbacks).
		server, err := optString(opts, "serverUrl")
		if err != nil {
			return err
		}
		navs, err := optStrings(opts, "navigators")
		if err != nil {
			return err
		}
		var fallbacks []string
		for _, n := range navs {
			switch {
			case n == "" || n == server:
			case server == "":
				server = n
			case !slices.Contains(fallbacks, wsURL(n)):
				fallbacks = append(fallbacks, wsURL(n))
			}
		}
		if server == "" {
			return invalid("serverUrl (or navigators[0]) is required: the imwasm server's http(s) URL")
		}
		timeout, err := optInt(opts, "sendTimeout", 0)
		if err != nil {
			return err
		}
		ws, err := field(opts, "WebSocket")
		if err != nil {
			return err
		}
		if absent(ws) {
			ws, _ = safejs.Global().Get("WebSocket")
		}
		if ws.Type() != safejs.TypeFunction {
			return invalid("no WebSocket: pass one to init (Node 20 has none of its own)")
		}
		storage, err := optString(opts, "storage")
		if err != nil {
			return err
		}
		delivery, err := optBool(opts, "deliveryReceipts")
		if err != nil {
			return err
		}
		// RongIMLib's switch for its local store: false keeps nothing on
		// the device, as storage: 'memory' does.
		useDB, err := optBoolDefault(opts, "indexDBSwitch", true)
		if err != nil {
			return err
		}
		// The log level last of the checks: a refused init changes nothing.
		if err := b.setLogLevel(opts); err != nil {
			return err
		}
		idb, _ := safejs.Global().Get("indexedDB")
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.closed {
			return errBridgeClosed()
		}
		b.retireLocked()
		b.user, b.emit, b.appKey = "", emit, appKey
		b.useIDB = storage != "memory" && useDB && !absent(idb)
		b.cfg = &client.Config{
			URL: wsURL(server), Fallbacks: fallbacks, AppKey: appKey, DeviceID: deviceID,
			Dialer: Dialer{WebSocket: ws, Logger: b.log}, Logger: b.log,
			SendTimeout: time.Duration(timeout) * time.Millisecond,
			OnEvents:    b.dispatch, DeliveryReceipts: delivery,
		}
		return nil
	}()
	return result(nil, err)
}

// setLogLevel applies init's logLevel: RongIMLib's LogLevel number (DEBUG 0,
// INFO 1, WARN 2, ERROR 3, FATAL 4, NONE 1000) or imwasm's name ("debug",
// "info", "warn", "error", "none").
func (b *Bridge) setLogLevel(opts safejs.Value) error {
	v, err := field(opts, "logLevel")
	if err != nil || absent(v) {
		b.log.SetLevel("")
		return err
	}
	if v.Type() == safejs.TypeNumber {
		n, _ := v.Float()
		switch {
		case n <= 0:
			b.log.SetLevel("debug")
		case n < 2:
			b.log.SetLevel("info")
		case n < 3:
			b.log.SetLevel("warn")
		case n < 1000:
			b.log.SetLevel("error")
		default:
			b.log.SetLevel("none")
		}
		return nil
	}
	level, err := asString(v, "logLevel")
	if err != nil {
		return invalid("logLevel must be a LogLevel number or a name")
	}
	b.log.SetLevel(level)
	return nil
}

// wsURL turns the server's http(s) URL into its WebSocket endpoint.
func wsURL(server string) string {
	u := strings.TrimRight(server, "/")
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + u[len("https://"):]
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + u[len("http://"):]
	case !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://"):
		u = "wss://" + u
	}
	if !strings.HasSuffix(u, "/v1/ws") {
		u += "/v1/ws"
	}
	return u
}

func (b *Bridge) connect(args []safejs.Value) (func() (any, error), error) {
	b.mu.Lock()
	ready := b.cfg != nil
	b.mu.Unlock()
	if !ready {
		return nil, codes.New(codes.ClientNotInit, "call init first")
	}
	tok, err := asString(arg(args, 0), "token")
	if err != nil || tok == "" {
		return nil, invalid("token must be a non-empty string")
	}
	return func() (any, error) {
		eng, err := b.engineFor(tok)
		if err != nil {
			return nil, err
		}
		user, err := eng.Connect(context.Background(), tok)
		if err != nil {
			b.retireIfStoreFailed(eng)
			return nil, err
		}
		return map[string]any{"userId": user, "tokenExpiresAt": eng.Token().ExpiresAt}, nil
	}, nil
}

// renewToken hands the connected session a newer token of its user
// (Easemob's renewToken): {expiresAt, issuedAt} (unix ms, 0 when the token
// has none).
func (b *Bridge) renewToken(args []safejs.Value) (func() (any, error), error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	tok, err := asString(arg(args, 0), "token")
	if err != nil || tok == "" {
		return nil, invalid("token must be a non-empty string")
	}
	return func() (any, error) {
		info, err := eng.RenewToken(context.Background(), tok)
		if err != nil {
			return nil, err
		}
		return tokenJS(info), nil
	}, nil
}

func tokenJS(info client.TokenInfo) map[string]any {
	return map[string]any{"expiresAt": info.ExpiresAt, "issuedAt": info.IssuedAt}
}

// engineFor returns the engine of the token's user, opening that user's
// store the first time (one IndexedDB database per app key and user).
//
// b.mu is held only for moments: synchronous JS calls take it on the event
// loop, which the database open below waits on.
func (b *Bridge) engineFor(tok string) (*client.Engine, error) {
	user := tokenSubject(tok)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errBridgeClosed()
	}
	if b.eng != nil && (b.user == user || user == "") {
		eng := b.eng
		b.mu.Unlock()
		return eng, nil
	}
	old, oldStore, retired := b.eng, b.store, b.retired
	b.eng, b.store = nil, nil
	from := b.cfg
	cfg, useIDB, appKey := *b.cfg, b.useIDB, b.appKey
	b.mu.Unlock()
	// The engines before go first, with their last events.
	if old != nil {
		b.latestDocs.drop()
		closeEngine(old, oldStore)
	}
	if retired != nil {
		<-retired
	}
	cfg.Store = memstore.New()
	if useIDB && user != "" {
		// Opens while the engine connects; its first read waits for it.
		cfg.Store = idbstore.Start("imwasm:" + appKey + ":" + user)
	}
	eng, err := client.New(cfg)
	if err != nil {
		if c, ok := cfg.Store.(interface{ Close() }); ok {
			c.Close()
		}
		return nil, err
	}
	b.mu.Lock()
	if b.closed || b.cfg != from {
		// Closed, or init came meanwhile: this engine belongs to neither.
		b.mu.Unlock()
		closeEngine(eng, cfg.Store)
		return nil, errBridgeClosed()
	}
	b.retireLocked() // another connect's, made meanwhile
	b.eng, b.store, b.user = eng, cfg.Store, user
	if st, ok := cfg.Store.(*idbstore.Store); ok {
		// Until the store is closed with its engine: if another tab takes
		// the database first, the engine goes (the app sees it
		// disconnected) rather than failing every call.
		b.tasks.Go(func() {
			<-st.Gone()
			b.retireIfStoreFailed(eng)
		})
	}
	b.mu.Unlock()
	return eng, nil
}

// tokenSubject reads a JWT's sub without checking it (the server does): it
// names the user whose database this device opens.
func tokenSubject(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	// JSON.parse, not encoding/json: the wasm stays smaller.
	j, err := safejs.Global().Get("JSON")
	if err != nil {
		return ""
	}
	claims, err := j.Call("parse", string(payload))
	if err != nil || claims.Type() != safejs.TypeObject {
		return ""
	}
	sub, err := optString(claims, "sub")
	if err != nil {
		return ""
	}
	return sub
}

func (b *Bridge) disconnect([]safejs.Value) (func() (any, error), error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	return func() (any, error) { eng.Disconnect(); return nil, nil }, nil
}

// RongIMLib's RCConnectionStatus.
const (
	rcConnected    = 0
	rcConnecting   = 1
	rcDisconnected = 2
	rcSuspended    = 3
)

func (b *Bridge) connectionStatus([]safejs.Value) any {
	eng, err := b.engine()
	if err != nil {
		return rcDisconnected
	}
	switch eng.Status() {
	case client.StatusConnected:
		return rcConnected
	case client.StatusConnecting:
		return rcConnecting
	case client.StatusSuspended:
		return rcSuspended
	}
	return rcDisconnected
}

func (b *Bridge) currentUserID([]safejs.Value) any {
	eng, err := b.engine()
	if err != nil || eng.Status() == client.StatusDisconnected { // RongIMLib's: '' once disconnected
		return ""
	}
	return eng.UserID()
}

// appSettings is getAppSettings: what this app's server allows, as of the
// last connection (null before one). imwasm has no speech to text and no
// ultra groups yet, groups answer V2 and V5 receipts (V5 named here), and
// the server keeps unread counts.
func (b *Bridge) appSettings(args []safejs.Value) any {
	eng, err := b.engine()
	if err != nil || eng.UserID() == "" {
		return nil
	}
	b.mu.Lock()
	appKey := ""
	if b.cfg != nil {
		appKey = b.cfg.AppKey
	}
	b.mu.Unlock()
	return map[string]any{
		"isSpeechToTextEnabled":               false,
		"isConversationListIncludeUltraGroup": false,
		"messageModifiableMinutes":            int(eng.RecallWindow().Minutes()),
		"readReceiptVersion":                  4, // GroupReadReceiptVersion.V5
		"isServerSaveUnreadEnabled":           true,
		"appkey":                              appKey,
		"connectionStatus":                    b.connectionStatus(args),
		"userId":                              eng.UserID(),
	}
}

// serverTime is getServerTime: the server's clock as the last
// authentication measured it, the device's before any.
func (b *Bridge) serverTime([]safejs.Value) any {
	eng, err := b.engine()
	if err != nil {
		return float64(time.Now().UnixMilli())
	}
	return float64(eng.ServerTime())
}

// serverURL is the http(s) URL of the server the SDK last connected to
// ("" before it has): uploads go there, so they follow a failover.
func (b *Bridge) serverURL([]safejs.Value) any {
	eng, err := b.engine()
	if err != nil {
		return ""
	}
	return httpURL(eng.ServerURL())
}

// httpURL turns a WebSocket endpoint back into its server's http(s) URL.
func httpURL(ws string) string {
	u := strings.TrimSuffix(ws, "/v1/ws")
	switch {
	case strings.HasPrefix(u, "wss://"):
		return "https://" + u[len("wss://"):]
	case strings.HasPrefix(u, "ws://"):
		return "http://" + u[len("ws://"):]
	}
	return u
}

// deviceID is getDeviceId: the id init was given (npm's index.js keeps one
// per app key in localStorage), "" before init.
func (b *Bridge) deviceID([]safejs.Value) any {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cfg == nil {
		return ""
	}
	return b.cfg.DeviceID
}

// uploadLimit is the server's upload limit (0: not known yet): the upload
// helpers refuse bigger files before sending a byte.
func (b *Bridge) uploadLimit([]safejs.Value) any {
	eng, err := b.engine()
	if err != nil {
		return 0
	}
	return float64(eng.MaxUploadBytes())
}
