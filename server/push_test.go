package server_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// pushService stands in for a browser vendor's push service (RFC 8030) on
// a loopback port. Each subscription is one the test made, as a browser
// would: its P-256 key pair and auth secret. Every push must carry a VAPID
// JWT (RFC 8292) signed by the key the server gave the device, for this
// origin, unexpired, with a contact; its body is decrypted with the
// subscription's keys (RFC 8291) and recorded. An endpoint the test
// marked gone answers 410.
type pushService struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	subs map[string]*pushSub // by name: the endpoint's last path element
	gone map[string]bool
	bad  []string
	key  string // the VAPID public key the server handed out
}

type pushSub struct {
	priv   *ecdh.PrivateKey
	auth   []byte
	got    []map[string]any // decrypted payloads, in arrival order
	topics []string
}

func newPushService(t *testing.T) *pushService {
	p := &pushService{t: t, subs: map[string]*pushSub{}, gone: map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		p.mu.Lock()
		defer p.mu.Unlock()
		sub := p.subs[name]
		if err := p.check(r, body, sub); err != nil {
			p.bad = append(p.bad, name+": "+err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if p.gone[name] {
			w.WriteHeader(http.StatusGone)
			return
		}
		plain, err := decryptPush(sub, body)
		var payload map[string]any
		if err == nil {
			err = json.Unmarshal(plain, &payload)
		}
		if err != nil {
			p.bad = append(p.bad, name+": "+err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sub.got = append(sub.got, payload)
		sub.topics = append(sub.topics, r.Header.Get("Topic"))
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// subscribe makes a subscription as a browser would and answers what the
// browser hands the page: endpoint and keys.
func (p *pushService) subscribe(name string) *pb.WebPushRequest {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	p.mu.Lock()
	p.subs[name] = &pushSub{priv: priv, auth: auth}
	p.mu.Unlock()
	return &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_SUBSCRIBE, Endpoint: p.srv.URL + "/push/" + name,
		P256Dh: base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()), Auth: base64.RawURLEncoding.EncodeToString(auth)}
}

// received answers the payloads name's subscription got, failing the test
// on any push that was not to be trusted.
func (p *pushService) received(name string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.bad) > 0 {
		p.t.Fatalf("pushes refused: %v", p.bad)
	}
	if s := p.subs[name]; s != nil {
		return slices.Clone(s.got)
	}
	return nil
}

// check holds a push to RFC 8030/8292: a known subscription, the
// aes128gcm encoding, a TTL, and a VAPID JWT the server's key signed for
// this origin.
func (p *pushService) check(r *http.Request, body []byte, sub *pushSub) error {
	switch {
	case sub == nil:
		return errors.New("no such subscription")
	case r.Method != http.MethodPost:
		return errors.New("method " + r.Method)
	case r.Header.Get("Content-Encoding") != "aes128gcm":
		return errors.New("content encoding " + r.Header.Get("Content-Encoding"))
	case r.Header.Get("TTL") == "":
		return errors.New("no TTL")
	}
	var jwt, k string
	for _, part := range strings.Split(strings.TrimPrefix(r.Header.Get("Authorization"), "vapid "), ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			jwt = v
		}
		if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	if k != p.key {
		return fmt.Errorf("VAPID key %q, the server handed out %q", k, p.key)
	}
	pubBytes, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pubBytes)
	if err != nil {
		return err
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("JWT " + jwt)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return errors.New("JWT signature")
	}
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("JWT signature does not verify")
	}
	var header struct{ Alg string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return errors.New("JWT not JSON")
	}
	exp := time.Unix(claims.Exp, 0)
	switch {
	case header.Alg != "ES256":
		return errors.New("JWT alg " + header.Alg)
	case claims.Aud != p.srv.URL:
		return errors.New("JWT aud " + claims.Aud)
	case exp.Before(time.Now()) || exp.After(time.Now().Add(24*time.Hour)):
		return fmt.Errorf("JWT exp %v", exp)
	case !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:"):
		return errors.New("JWT sub " + claims.Sub)
	}
	return nil
}

// decryptPush opens an aes128gcm body (RFC 8188) with the keys RFC 8291
// derives from the subscription's.
func decryptPush(sub *pushSub, body []byte) ([]byte, error) {
	if len(body) < 21 || len(body) < 21+int(body[20]) {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, fmt.Errorf("the server's key: %w", err)
	}
	if len(body)-21-idlen > int(rs) {
		return nil, errors.New("more than one record")
	}
	secret, err := sub.priv.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), sub.priv.PublicKey().Bytes()...), asPub.Bytes()...)
	ikm, err := hkdf.Key(sha256.New, secret, sub.auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, body[21+idlen:], nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	// The last record ends with 0x02, then zero padding.
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}

// waitOffline waits until the server counts user offline.
func (e *env) waitOffline(t *testing.T, user string) {
	t.Helper()
	waitFor(t, user+" offline", func() bool {
		data := e.adminOK(t, "GET", "/v1/users/"+user+"/push", nil)
		return data["online"] == false
	})
}

// Web Push and the offline-push webhook on one server: a user none of
// whose devices is connected gets each message that counts as a Web Push
// to each subscription (encrypted to it, signed with the server's VAPID
// key) and as a message.push call, with the sender as title, the text or
// pushContent as body and their unread count as badge; not while online,
// not for status messages, their own, a custom type without pushContent,
// or a conversation whose level keeps it quiet; a subscription the push
// service says is gone is forgotten.
func TestWebPushAndPushWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WebPushAllowHTTP = true })
	ctx := context.Background()
	ps := newPushService(t)
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	for _, bad := range []map[string]any{{"webPushContact": "nobody"}, {"webPushContact": "http://ops.example.com"},
		{"webPushContact": "http://ops@example.com"}, {"webPushContact": "https://"}, {"webPushContact": "mailto:a@b@c"}, {"webPushTtlSeconds": -1},
		{"webPushTtlSeconds": 29 * 24 * 3600}, {"pushWebhookUrl": "ftp://x/push"}, {"webPushEnabled": true, "webPushContact": ""},
		{"webPushHosts": []string{"http://x"}}, {"webPushHosts": []string{"a.*.b"}}, {"webPushHosts": []string{""}}, {"webPushHosts": []string{"h:443"}}, {"webPushHosts": []string{"a..b"}}} {
		if status, _ := e.admin("PUT", "/v1/settings", bad); status != 400 {
			t.Fatalf("settings %v: %d", bad, status)
		}
	}
	if st := e.adminOK(t, "GET", "/v1/settings", nil); st["webPushEnabled"] != false || st["webPushContact"] != "admin@localhost" || len(st["webPushHosts"].([]any)) != 4 {
		t.Fatalf("a refused PUT changed the settings: %v", st)
	}
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webPushEnabled": true, "pushWebhookUrl": h.srv.URL + "/push", "webPushContact": "ops@example.com"})
	e.adminOK(t, "PUT", "/v1/users/alice/profile", map[string]any{"name": "Alice"})
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "Team", "ownerId": "alice", "memberIds": []string{"bob", "carol"}})

	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob, bob2, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	key, err := bob.WebPush(ctx, &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_KEY})
	if err != nil || len(key) != 87 { // 65 bytes, base64url
		t.Fatalf("the VAPID key: %q %v", key, err)
	}
	ps.key = key
	// A push service the server does not know (the stand-in's loopback
	// host among them, until allowed): a user cannot make the server post
	// to a host of the app's own network.
	for _, host := range []string{ps.srv.URL, "https://10.0.0.7", "https://fcm.googleapis.com.evil.example"} {
		_, err := bob.WebPush(ctx, &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_SUBSCRIBE, Endpoint: host + "/push/x", P256Dh: ps.subscribe("x").P256Dh, Auth: ps.subscribe("x").Auth})
		wantCode(t, "a subscription to "+host, err, codes.InvalidParameter)
	}
	if _, err := bob.WebPush(ctx, &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_SUBSCRIBE, Endpoint: "https://wns2-par02p.notify.windows.com/w/?token=x",
		P256Dh: ps.subscribe("x").P256Dh, Auth: ps.subscribe("x").Auth}); err != nil {
		t.Fatalf("a subscription to Edge's push service: %v", err)
	}
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webPushHosts": []string{"127.0.0.1"}})
	for _, bad := range []*pb.WebPushRequest{
		{Op: pb.WebPushOp_WEB_PUSH_SUBSCRIBE, Endpoint: "ftp://x/y", P256Dh: ps.subscribe("x").P256Dh, Auth: ps.subscribe("x").Auth},
		{Op: pb.WebPushOp_WEB_PUSH_SUBSCRIBE, Endpoint: ps.srv.URL + "/push/x", P256Dh: "AAAA", Auth: ps.subscribe("x").Auth},
		{Op: pb.WebPushOp_WEB_PUSH_SUBSCRIBE, Endpoint: ps.srv.URL + "/push/x", P256Dh: ps.subscribe("x").P256Dh, Auth: "AAAA"},
	} {
		_, err := bob.WebPush(ctx, bad)
		wantCode(t, "a subscription the server could not push to", err, codes.InvalidParameter)
	}
	for d, name := range map[*device]string{bob: "bob-b1", bob2: "bob-b2", carol: "carol-c1"} {
		if k, err := d.WebPush(ctx, ps.subscribe(name)); err != nil || k != key {
			t.Fatalf("subscribing %s: %q %v", name, k, err)
		}
	}
	// Carol hears of the group only when named.
	two := int32(2)
	if err := carol.SetSettings(ctx, []client.Conversation{{Type: client.Group, TargetID: "g1"}}, client.SettingsEdit{Level: &two}); err != nil {
		t.Fatal(err)
	}

	// While online: nothing.
	alice.send(t, text("bob", client.Private, "while online"))
	bob.Disconnect()
	bob2.Disconnect()
	carol.Disconnect()
	for _, u := range []string{"bob", "carol"} {
		e.waitOffline(t, u)
	}
	nextMilli() // what is sent from now on was sent while they were offline
	alice.send(t, text("bob", client.Private, "hello"))
	alice.send(t, text("bob", client.Private, "again"))
	status := text("bob", client.Private, "typing…")
	status.IsStatus, status.IsPersisted, status.IsCounted = true, false, false
	alice.send(t, status)
	custom := &client.Message{Conversation: client.Conversation{Type: client.Private, TargetID: "bob"}, ObjectName: "App:Custom", Content: []byte(`{"x":1}`), IsPersisted: true, IsCounted: true}
	alice.send(t, custom)
	custom = &client.Message{Conversation: client.Conversation{Type: client.Private, TargetID: "bob"}, ObjectName: "App:Custom", Content: []byte(`{"x":2}`), IsPersisted: true, IsCounted: true,
		PushContent: "a custom thing", PushData: `{"deep":"link"}`}
	alice.send(t, custom)
	alice.send(t, text("g1", client.Group, "to the team"))
	named := text("g1", client.Group, "@carol look")
	named.IsMentioned, named.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"carol"}}
	alice.send(t, named)

	want := []string{"hello", "again", "a custom thing", "to the team", "@carol look"}
	waitFor(t, "the pushes", func() bool {
		return len(ps.received("bob-b1")) >= 5 && len(ps.received("bob-b2")) >= 5 && len(ps.received("carol-c1")) >= 1 && len(h.seen()) >= 6
	})
	e.fence(t, alice) // whatever else was owed has had its time
	for _, name := range []string{"bob-b1", "bob-b2"} {
		got := map[string]map[string]any{} // by body
		topics := map[string]string{}
		ps.mu.Lock()
		for i, p := range ps.subs[name].got {
			got[p["body"].(string)], topics[p["body"].(string)] = p, ps.subs[name].topics[i]
		}
		ps.mu.Unlock()
		if len(got) != len(want) || len(ps.received(name)) != len(want) {
			t.Fatalf("%s's pushes: %v", name, ps.received(name))
		}
		first, custom, group := got["hello"], got["a custom thing"], got["to the team"]
		// The badge: the user's unread messages when the push went ("while
		// online" and what was stored by then).
		if b := first["badge"].(float64); b < 2 || b > 7 {
			t.Fatalf("%s's first push's badge: %v", name, first)
		}
		if first["title"] != "Alice" || first["tag"] != "1:alice:" || first["conversationType"] != float64(1) || first["targetId"] != "alice" ||
			first["senderUserId"] != "alice" || first["messageUId"] == "" || first["tag"] == "" {
			t.Fatalf("%s's first push: %v", name, first)
		}
		if custom["pushData"] != `{"deep":"link"}` || group["title"] != "Team" || group["targetId"] != "g1" ||
			got["@carol look"]["badge"] != float64(7) {
			t.Fatalf("%s's pushes: %v", name, got)
		}
		if topics["hello"] == "" || topics["hello"] != topics["again"] || topics["hello"] == topics["to the team"] || topics["to the team"] != topics["@carol look"] {
			t.Fatalf("%s's topics (one per conversation): %v", name, topics)
		}
	}
	if got := ps.received("carol-c1"); len(got) != 1 || got[0]["body"] != "@carol look" {
		t.Fatalf("carol's pushes: %v", got)
	}
	// The webhook: one call per user and message pushed, not per device.
	var calls []string
	for _, ev := range h.seen() {
		d := ev["data"].(map[string]any)
		if ev["type"] != "message.push" {
			t.Fatalf("a push webhook call: %v", ev)
		}
		calls = append(calls, d["userId"].(string)+":"+d["body"].(string))
	}
	slices.Sort(calls)
	if wantCalls := []string{"bob:@carol look", "bob:a custom thing", "bob:again", "bob:hello", "bob:to the team", "carol:@carol look"}; !slices.Equal(calls, wantCalls) {
		t.Fatalf("push webhook calls: %v", calls)
	}

	// A subscription gone at the push service is forgotten.
	ps.mu.Lock()
	ps.gone["bob-b2"] = true
	ps.mu.Unlock()
	alice.send(t, text("bob", client.Private, "one more"))
	waitFor(t, "bob-b2 forgotten", func() bool {
		subs, _ := e.adminOK(t, "GET", "/v1/users/bob/push", nil)["webPush"].([]any)
		return len(subs) == 1 && subs[0].(map[string]any)["deviceId"] == "b1"
	})
	waitFor(t, "bob-b1's last push", func() bool { return len(ps.received("bob-b1")) == 6 })
}

// Pushes on a cluster: a user online on another node is not pushed, an
// offline one is pushed once per message (Web Push and the offline-push
// webhook), whichever node stored it and whichever delivers the push.
func TestClusterWebPush(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, func(cfg *server.Config) { cfg.WebPushAllowHTTP = true })
	n0, n1 := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	ps := newPushService(t)
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	n1.adminOK(t, "PUT", "/v1/settings", map[string]any{"webPushEnabled": true, "pushWebhookUrl": h.srv.URL + "/push", "webPushHosts": []string{"127.0.0.1"}})
	waitFor(t, "both nodes have the setting", func() bool {
		return n0.adminOK(t, "GET", "/v1/settings", nil)["webPushEnabled"] == true
	})
	alice := n0.device("alice", "a1", devOpts{})
	bob := n1.device("bob", "b1", devOpts{})
	dave := n1.device("dave", "d1", devOpts{})
	for _, d := range []*device{alice, bob, dave} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	var err error
	if ps.key, err = bob.WebPush(ctx, &pb.WebPushRequest{}); err != nil {
		t.Fatal(err)
	}
	for d, name := range map[*device]string{bob: "bob", dave: "dave"} {
		if _, err := d.WebPush(ctx, ps.subscribe(name)); err != nil {
			t.Fatal(err)
		}
	}
	bob.Disconnect()
	n0.waitOffline(t, "bob")
	nextMilli()
	const n = 20
	for i := range n {
		alice.send(t, text("bob", client.Private, "b"+strconv.Itoa(i)))
		alice.send(t, text("dave", client.Private, "d"+strconv.Itoa(i)))
	}
	waitFor(t, "bob's pushes", func() bool { return len(ps.received("bob")) >= n })
	n0.fence(t, alice, dave)
	seen := map[string]int{}
	for _, p := range ps.received("bob") {
		seen[p["body"].(string)]++
	}
	for i := range n {
		if k := seen["b"+strconv.Itoa(i)]; k != 1 {
			t.Errorf("b%d pushed %d times", i, k)
		}
	}
	if len(seen) != n {
		t.Errorf("bob's pushes: %v", seen)
	}
	if got := ps.received("dave"); len(got) != 0 {
		t.Fatalf("dave, online on the other node, was pushed %v", got)
	}
	waitFor(t, "the push webhook's calls", func() bool { return len(h.seen()) >= n })
	calls := map[string]int{}
	for _, ev := range h.seen() {
		d := ev["data"].(map[string]any)
		calls[d["userId"].(string)+":"+d["body"].(string)]++
	}
	for i := range n {
		if k := calls["bob:b"+strconv.Itoa(i)]; k != 1 {
			t.Errorf("bob:b%d posted %d times", i, k)
		}
	}
	if len(calls) != n {
		t.Errorf("push webhook calls: %v", calls)
	}

	// Dave's one session goes into the background on node 1: both nodes
	// see it (node 0 from node 1's announcement), and whichever decides
	// pushes him; back in the foreground, neither does.
	inBackground := func(want bool) {
		t.Helper()
		for _, nd := range []*env{n0, n1} {
			waitFor(t, fmt.Sprintf("dave in the background: %v", want), func() bool {
				st := nd.adminOK(t, "GET", "/v1/users/dave/push", nil)
				return st["online"] == true && st["inBackground"] == want
			})
		}
		nextMilli()
	}
	if _, err := dave.WebPush(ctx, &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_BACKGROUND}); err != nil {
		t.Fatal(err)
	}
	inBackground(true)
	alice.send(t, text("dave", client.Private, "hidden"))
	waitFor(t, "dave's push", func() bool { return len(ps.received("dave")) >= 1 })
	if _, err := dave.WebPush(ctx, &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_FOREGROUND}); err != nil {
		t.Fatal(err)
	}
	inBackground(false)
	alice.send(t, text("dave", client.Private, "shown"))
	bob.connect(t, token(t, "bob", time.Hour)) // in the foreground: not pushed either
	if _, err := bob.WebPush(ctx, &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_BACKGROUND}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob in the background on node 0's view", func() bool {
		return n0.adminOK(t, "GET", "/v1/users/bob/push", nil)["inBackground"] == true
	})
	nextMilli()
	alice.send(t, text("bob", client.Private, "bob hidden"))
	waitFor(t, "bob's push", func() bool { return len(ps.received("bob")) > n })
	n0.fence(t, alice, dave)
	if got := ps.received("bob"); len(got) != n+1 || got[n]["body"] != "bob hidden" {
		t.Fatalf("bob's pushes after %d: %v", n, got[n:])
	}
	if got := ps.received("dave"); len(got) != 1 || got[0]["body"] != "hidden" {
		t.Fatalf("dave's pushes: %v", got)
	}
}

// A session the app put in the background (registerWebPush's whenHidden:
// a hidden tab) does not count as connected for pushes: its user is pushed
// while every session of theirs is closed or in the background, not while
// one is in the foreground; the engine says it again after a reconnect.
func TestWebPushInBackground(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WebPushAllowHTTP = true })
	ctx := context.Background()
	ps := newPushService(t)
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webPushEnabled": true, "pushWebhookUrl": h.srv.URL + "/push", "webPushHosts": []string{"127.0.0.1"}})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	for _, d := range []*device{alice, bob, bob2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	var err error
	if ps.key, err = bob.WebPush(ctx, &pb.WebPushRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WebPush(ctx, ps.subscribe("bob")); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		st := e.adminOK(t, "GET", "/v1/users/bob/push", nil)
		return fmt.Sprintf("online %v, in background %v", st["online"], st["inBackground"])
	}
	set := func(d *device, op pb.WebPushOp, want string) {
		t.Helper()
		if _, err := d.WebPush(ctx, &pb.WebPushRequest{Op: op}); err != nil {
			t.Fatal(err)
		}
		if got := state(); got != want {
			t.Fatalf("after %v of %s: %s, want %s", op, d.id, got, want)
		}
		nextMilli() // what is sent from now on was sent in this state
	}
	send := func(body string) { alice.send(t, text("bob", client.Private, body)) }

	// Each push is decided when its message's outbox event is handled: a
	// user back in the foreground by then has read it live, and is not
	// pushed. So each pushed message is waited for before the next change.
	var want []string
	pushed := func(body string) {
		t.Helper()
		want = append(want, body)
		waitFor(t, "the push of "+body, func() bool { return len(ps.received("bob")) >= len(want) && len(h.seen()) >= len(want) })
		if got := ps.received("bob"); len(got) != len(want) || got[len(got)-1]["body"] != body {
			t.Fatalf("pushed %v; want %q", got, want)
		}
	}
	set(bob, pb.WebPushOp_WEB_PUSH_BACKGROUND, "online true, in background false") // bob2 is in the foreground
	send("one tab shown")
	set(bob2, pb.WebPushOp_WEB_PUSH_BACKGROUND, "online true, in background true")
	send("both hidden")
	pushed("both hidden")
	set(bob, pb.WebPushOp_WEB_PUSH_FOREGROUND, "online true, in background false")
	send("one shown again")
	bob.Disconnect()
	waitFor(t, "bob's first session gone", func() bool { return state() == "online true, in background true" })
	nextMilli()
	send("the shown one closed")
	pushed("the shown one closed")

	// A reconnect starts in the foreground; the engine says the background again.
	bob2.Disconnect()
	e.waitOffline(t, "bob")
	bob2.connect(t, token(t, "bob", time.Hour))
	waitFor(t, "the background said again", func() bool { return state() == "online true, in background true" })
	nextMilli()
	send("after the reconnect")
	pushed("after the reconnect")

	e.fence(t, alice) // whatever else was owed has had its time
	var bodies, posted []string
	for _, p := range ps.received("bob") {
		bodies = append(bodies, p["body"].(string))
	}
	for _, ev := range h.seen() {
		posted = append(posted, ev["data"].(map[string]any)["body"].(string))
	}
	if !slices.Equal(bodies, want) || !slices.Equal(posted, want) {
		t.Fatalf("pushed %q, posted %q; want %q", bodies, posted, want)
	}
}

// nextMilli returns once the real clock's millisecond has moved on: a
// message stored after it has a later sent time (the store's clock is the
// real one) than a change of state noted before it, so which of the two
// came first is not a tie (a tie counts as "reached live").
func nextMilli() {
	for t0 := time.Now().UnixMilli(); time.Now().UnixMilli() <= t0; {
		runtime.Gosched()
	}
}

// subscribeDevices subscribes each device (connected) to the stand-in
// under its name, with the server's VAPID key.
func (ps *pushService) subscribeDevices(t *testing.T, subs map[*device]string) {
	t.Helper()
	ctx := context.Background()
	for d, name := range subs {
		key, err := d.WebPush(ctx, &pb.WebPushRequest{Op: pb.WebPushOp_WEB_PUSH_KEY})
		if err != nil {
			t.Fatal(err)
		}
		ps.mu.Lock()
		ps.key = key
		ps.mu.Unlock()
		if _, err := d.WebPush(ctx, ps.subscribe(name)); err != nil {
			t.Fatalf("subscribing %s: %v", name, err)
		}
	}
}

// Quiet hours (RongIMLib's setNotificationQuietHoursWithSetting): while a
// user's daily window is open their level outranks the conversations'
// own — 5 pushes nothing, 1 only mentions (never a private message) — and
// once removed pushes resume. The window here is the next two hours in
// India's time zone, so the test's real clock is inside it.
func TestQuietHours(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WebPushAllowHTTP = true })
	ctx := context.Background()
	ps := newPushService(t)
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webPushEnabled": true, "pushWebhookUrl": h.srv.URL + "/push", "webPushHosts": []string{"127.0.0.1"}})
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "Team", "ownerId": "alice", "memberIds": []string{"bob", "carol"}})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ps.subscribeDevices(t, map[*device]string{bob: "bob-b1", carol: "carol-c1"})
	india, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().In(india).Add(-30 * time.Minute).Format(time.TimeOnly)
	quiet := func(level int32) *pb.QuietHours {
		return &pb.QuietHours{StartTime: start, SpanMinutes: 150, Level: level, Timezone: "Asia/Kolkata"}
	}
	people := func(d *device, op pb.PeopleOp, q *pb.QuietHours) (*pb.PeopleResult, error) {
		return d.People(ctx, &pb.PeopleRequest{Op: op, QuietHours: q})
	}
	if res, err := people(bob, pb.PeopleOp_QUIET_HOURS_GET, nil); err != nil || res.QuietHours != nil {
		t.Fatalf("quiet hours before any: %+v %v", res, err)
	}
	for _, d := range []*device{bob, carol} {
		level := int32(contract.QuietLevelBlocked)
		if d == carol {
			level = contract.QuietLevelMention
		}
		if _, err := people(d, pb.PeopleOp_QUIET_HOURS_SET, quiet(level)); err != nil {
			t.Fatalf("%s's quiet hours: %v", d.user, err)
		}
	}
	// Bad input changes nothing: the shape is checked on both sides, a
	// zone the server cannot resolve by the server.
	for _, bad := range []struct {
		q    *pb.QuietHours
		code int32
	}{
		{&pb.QuietHours{StartTime: "7:00:00", SpanMinutes: 60, Level: 5}, codes.InvalidParameterTimestring},
		{&pb.QuietHours{StartTime: "07:00:00", SpanMinutes: 1440, Level: 5}, codes.InvalidParameterSpanMinutes},
		{&pb.QuietHours{StartTime: "07:00:00", SpanMinutes: 60, Level: 3}, codes.InvalidParameterNotificationLevel},
		{&pb.QuietHours{StartTime: "07:00:00", SpanMinutes: 60, Level: 5, Timezone: "Mars/Olympus"}, codes.InvalidParameter},
		{&pb.QuietHours{StartTime: "07:00:00", SpanMinutes: 60, Level: 5, Timezone: "+25:00"}, codes.InvalidParameter},
	} {
		_, err := people(bob, pb.PeopleOp_QUIET_HOURS_SET, bad.q)
		wantCode(t, fmt.Sprintf("quiet hours %+v", bad.q), err, bad.code)
	}
	if res, err := people(bob, pb.PeopleOp_QUIET_HOURS_GET, nil); err != nil || res.QuietHours == nil || *res.QuietHours != *quiet(5) {
		t.Fatalf("bob's quiet hours: %+v %v", res, err)
	}
	if q := e.adminOK(t, "GET", "/v1/users/carol/push", nil)["quietHours"]; fmt.Sprint(q) != fmt.Sprint(map[string]any{"startTime": start, "spanMinutes": 150.0, "level": 1.0, "timezone": "Asia/Kolkata"}) {
		t.Fatalf("carol's quiet hours in the admin API: %v", q)
	}

	bob.Disconnect()
	carol.Disconnect()
	e.waitOffline(t, "bob")
	e.waitOffline(t, "carol")
	nextMilli()
	alice.send(t, text("bob", client.Private, "to bob"))
	toCarol := text("carol", client.Private, "@carol to carol") // a private mention is no group's: not pushed at level 1
	toCarol.IsMentioned, toCarol.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"carol"}}
	alice.send(t, toCarol)
	alice.send(t, text("g1", client.Group, "to the team"))
	named := text("g1", client.Group, "@carol look")
	named.IsMentioned, named.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"carol"}}
	alice.send(t, named)
	waitFor(t, "carol's push", func() bool { return len(ps.received("carol-c1")) >= 1 && len(h.seen()) >= 1 })
	e.fence(t, alice) // whatever else was owed has had its time
	if got := ps.received("carol-c1"); len(got) != 1 || got[0]["body"] != "@carol look" {
		t.Fatalf("carol's pushes (quiet, mentions only): %v", got)
	}
	if got := ps.received("bob-b1"); len(got) != 0 {
		t.Fatalf("bob's pushes (quiet, none): %v", got)
	}

	// Removed (from another device, which then leaves): pushed again.
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	if _, err := people(bob2, pb.PeopleOp_QUIET_HOURS_REMOVE, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := people(bob2, pb.PeopleOp_QUIET_HOURS_GET, nil); err != nil || res.QuietHours != nil {
		t.Fatalf("bob's quiet hours removed: %+v %v", res, err)
	}
	bob2.Disconnect()
	e.waitOffline(t, "bob")
	nextMilli()
	alice.send(t, text("bob", client.Private, "after"))
	waitFor(t, "bob's push", func() bool { return len(ps.received("bob-b1")) >= 1 })
	e.fence(t, alice)
	if got := ps.received("bob-b1"); len(got) != 1 || got[0]["body"] != "after" {
		t.Fatalf("bob's pushes after the removal: %v", got)
	}
	var calls []string
	for _, ev := range h.seen() {
		d := ev["data"].(map[string]any)
		calls = append(calls, d["userId"].(string)+":"+d["body"].(string))
	}
	slices.Sort(calls)
	if want := []string{"bob:after", "carol:@carol look"}; !slices.Equal(calls, want) {
		t.Fatalf("push webhook calls: %v, want %v", calls, want)
	}
}

// Each push is its own outbox event: user x on device "y.z" and user "x.y"
// on device "z" (ids may hold dots) each get theirs — one's device id
// cannot name the other's push and have it dropped as a duplicate.
func TestWebPushEventsOfLookalikeIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WebPushAllowHTTP = true })
	ps := newPushService(t)
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webPushEnabled": true, "webPushHosts": []string{"127.0.0.1"}})
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "Team", "ownerId": "alice", "memberIds": []string{"x", "x.y"}})
	alice, d1, d2 := e.device("alice", "a1", devOpts{}), e.device("x", "y.z", devOpts{}), e.device("x.y", "z", devOpts{})
	for _, d := range []*device{alice, d1, d2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ps.subscribeDevices(t, map[*device]string{d1: "s1", d2: "s2"})
	d1.Disconnect()
	d2.Disconnect()
	e.waitOffline(t, "x")
	e.waitOffline(t, "x.y")
	nextMilli()
	alice.send(t, text("g1", client.Group, "hi team"))
	waitFor(t, "both pushes", func() bool { return len(ps.received("s1")) == 1 && len(ps.received("s2")) == 1 })
}

// A do-not-disturb of a set length (setDoNotDisturb; Easemob's silent-mode
// duration): no push while it lasts, beside the daily quiet hours, which
// setting and removing leave it as it was; bad lengths change nothing;
// 0 ends it.
func TestDoNotDisturb(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"pushWebhookUrl": h.srv.URL + "/push"})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	dnd := func(ms int64) (*pb.PeopleResult, error) {
		return bob.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_DND_SET, DurationMs: ms})
	}
	get := func() *pb.QuietHours {
		t.Helper()
		res, err := bob.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_QUIET_HOURS_GET})
		if err != nil {
			t.Fatal(err)
		}
		return res.QuietHours
	}
	before := e.now().UnixMilli()
	res, err := dnd(int64(time.Hour / time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	until := res.GetQuietHours().GetUntil()
	if until < before+3_600_000 || until > e.now().UnixMilli()+3_600_000 {
		t.Fatalf("until %d, want an hour after %d", until, before)
	}
	for _, bad := range []int64{-1, contract.MaxDndMillis + 1} {
		_, err := dnd(bad)
		wantCode(t, fmt.Sprint("duration ", bad), err, codes.InvalidParameter)
	}
	// The daily window comes and goes beside it.
	window := &pb.QuietHours{StartTime: "03:00:00", SpanMinutes: 60, Level: 1, Timezone: "UTC"}
	if _, err := bob.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_QUIET_HOURS_SET, QuietHours: window}); err != nil {
		t.Fatal(err)
	}
	if q := get(); q == nil || q.Until != until || q.SpanMinutes != 60 || q.StartTime != "03:00:00" {
		t.Fatalf("with quiet hours: %+v", q)
	}
	if _, err := bob.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_QUIET_HOURS_REMOVE}); err != nil {
		t.Fatal(err)
	}
	if q := get(); q == nil || q.Until != until || q.SpanMinutes != 0 {
		t.Fatalf("quiet hours removed: %+v", q)
	}
	if got := e.adminOK(t, "GET", "/v1/users/bob/push", nil); got["doNotDisturbUntil"] != float64(until) || got["quietHours"] != nil {
		t.Fatalf("the admin API: %v", got)
	}

	bob.Disconnect()
	e.waitOffline(t, "bob")
	nextMilli()
	alice.send(t, text("bob", client.Private, "while away"))
	alice.send(t, text("carol", client.Private, "to carol")) // never connected: pushed, after bob's would have been
	waitFor(t, "carol's push", func() bool { return len(h.seen()) >= 1 })
	e.fence(t, alice)
	if got := h.seen(); len(got) != 1 || got[0]["data"].(map[string]any)["userId"] != "carol" {
		t.Fatalf("pushes during bob's do-not-disturb: %v", got)
	}

	// Ended (from another device, which then leaves): pushed again.
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	if res, err := bob2.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_DND_SET}); err != nil || res.GetQuietHours().GetUntil() != 0 {
		t.Fatalf("ending it: %+v %v", res, err)
	}
	if res, err := bob2.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_QUIET_HOURS_GET}); err != nil || res.QuietHours != nil {
		t.Fatalf("after it ended: %+v %v", res, err)
	}
	bob2.Disconnect()
	e.waitOffline(t, "bob")
	nextMilli()
	alice.send(t, text("bob", client.Private, "after"))
	waitFor(t, "bob's push", func() bool { return len(h.seen()) >= 2 })
	e.fence(t, alice)
	if got := h.seen(); len(got) != 2 || got[1]["data"].(map[string]any)["body"] != "after" {
		t.Fatalf("pushes after it ended: %v", got)
	}

	// One conversation's (kept in its settings, for every device): alice's
	// messages are not pushed, carol's are.
	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	bob3 := e.device("bob", "b3", devOpts{})
	bob3.connect(t, token(t, "bob", time.Hour))
	withAlice := []client.Conversation{{Type: client.Private, TargetID: "alice"}}
	hour := int64(time.Hour / time.Millisecond)
	for _, bad := range []int64{-1, contract.MaxDndMillis + 1} {
		err := bob3.SetSettings(ctx, withAlice, client.SettingsEdit{Dnd: &bad})
		wantCode(t, fmt.Sprint("a conversation's duration ", bad), err, codes.InvalidParameter)
	}
	if err := bob3.SetSettings(ctx, withAlice, client.SettingsEdit{Dnd: &hour}); err != nil {
		t.Fatal(err)
	}
	if got := bob3.ConversationSettings(withAlice[0]).DndUntil; got < e.now().UnixMilli()+hour-60_000 {
		t.Fatalf("the conversation's until on this device: %d", got)
	}
	bob3.Disconnect()
	e.waitOffline(t, "bob")
	nextMilli()
	alice.send(t, text("bob", client.Private, "muted chat"))
	carol.send(t, text("bob", client.Private, "from carol"))
	waitFor(t, "carol's push to bob", func() bool { return len(h.seen()) >= 3 })
	e.fence(t, alice, carol)
	if got := h.seen(); len(got) != 3 || got[2]["data"].(map[string]any)["body"] != "from carol" {
		t.Fatalf("pushes during the conversation's do-not-disturb: %v", got)
	}
	// Another device learns it by its sync; 0 ends it.
	bob4 := e.device("bob", "b4", devOpts{})
	bob4.connect(t, token(t, "bob", time.Hour))
	waitFor(t, "the setting on another device", func() bool { return bob4.ConversationSettings(withAlice[0]).DndUntil > 0 })
	zero := int64(0)
	if err := bob4.SetSettings(ctx, withAlice, client.SettingsEdit{Dnd: &zero}); err != nil {
		t.Fatal(err)
	}
	bob4.Disconnect()
	e.waitOffline(t, "bob")
	nextMilli()
	alice.send(t, text("bob", client.Private, "unmuted"))
	waitFor(t, "alice's push to bob", func() bool { return len(h.seen()) >= 4 })
	e.fence(t, alice)
	if got := h.seen(); len(got) != 4 || got[3]["data"].(map[string]any)["body"] != "unmuted" {
		t.Fatalf("pushes after the conversation's ended: %v", got)
	}
}

// A push's badge is the user's unread total as their devices count it: a
// conversation they removed from the list (and nothing came since) is out
// of it. It counted every conversation's unread messages.
func TestPushBadgeLeavesRemovedConversationsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"pushWebhookUrl": h.srv.URL + "/push"})
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	for _, s := range []string{"one", "two"} {
		appSend(t, e, "alice", "bob", s, "a-"+s)
	}
	bob.waitMessages(t, 2)
	alice := client.Conversation{Type: client.Private, TargetID: "alice"}
	if err := bob.SetSettings(ctx, []client.Conversation{alice}, client.SettingsEdit{Remove: true}); err != nil {
		t.Fatal(err)
	}
	if n := bob.TotalUnreadCount(true); n != 0 {
		t.Fatalf("bob's device counts %d unread after removing alice's conversation", n)
	}
	if badge := badgeOfNextPush(t, e, h, bob); badge != float64(1) {
		t.Fatalf("badge %v, want 1 (carol's message; alice's conversation was removed)", badge)
	}
}

// A marker (here the sender's edit of an older message) after a removal
// brings the conversation back to no device's list nor unread total: nor
// to the badge (the server's count went by the conversation's last
// sequence number, markers included).
func TestPushBadgeAfterMarkerInRemovedConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"pushWebhookUrl": h.srv.URL + "/push"})
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	m1 := alice.send(t, text("bob", client.Private, "one"))
	alice.send(t, text("bob", client.Private, "two"))
	bob.waitMessages(t, 2)
	ac := client.Conversation{Type: client.Private, TargetID: "alice"}
	if err := bob.SetSettings(ctx, []client.Conversation{ac}, client.SettingsEdit{Remove: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ModifyMessage(ctx, client.Conversation{Type: client.Private, TargetID: "bob"}, m1.MessageUID, []byte(`{"content":"one!"}`)); err != nil {
		t.Fatal(err)
	}
	e.fence(t, bob)
	if n := bob.TotalUnreadCount(true); n != 0 {
		t.Fatalf("bob's device counts %d unread after the edit (still removed)", n)
	}
	if badge := badgeOfNextPush(t, e, h, bob); badge != float64(1) {
		t.Fatalf("badge %v, want 1: bob's device counts 0 (+carol's 1); the removed conversation with alice came back in the server's count after alice's edit (a marker)", badge)
	}
}

// badgeOfNextPush takes bob offline, has carol send him "hi" long after,
// and answers the badge of the push the webhook receiver h got for it.
func badgeOfNextPush(t *testing.T, e *env, h *hookReceiver, bob *device) any {
	t.Helper()
	bob.Disconnect()
	e.waitOffline(t, "bob")
	e.clock.add(time.Minute) // long after bob left: his push is owed
	appSend(t, e, "carol", "bob", "hi", "c-hi")
	var badge any
	waitFor(t, "carol's push to bob", func() bool {
		for _, ev := range h.seen() {
			if d, _ := ev["data"].(map[string]any); d["body"] == "hi" {
				badge = d["badge"]
				return true
			}
		}
		return false
	})
	return badge
}
