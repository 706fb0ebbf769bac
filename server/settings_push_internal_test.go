package server

import (
	"encoding/json"
	"testing"
)

func TestWebPushHostAllowed(t *testing.T) {
	for _, c := range []struct {
		hosts []string
		host  string
		want  bool
	}{
		{defaultWebPushHosts, "fcm.googleapis.com", true},
		{defaultWebPushHosts, "FCM.googleapis.com.", true},
		{defaultWebPushHosts, "wns2-par02p.notify.windows.com", true},
		{defaultWebPushHosts, "notify.windows.com", false},
		{defaultWebPushHosts, "evilnotify.windows.com", false},
		{defaultWebPushHosts, "fcm.googleapis.com.evil.example", false},
		{defaultWebPushHosts, "127.0.0.1", false},
		{defaultWebPushHosts, "", false},
		{[]string{"127.0.0.1"}, "127.0.0.1", true},
		{[]string{"*"}, "10.0.0.7", true},
		{nil, "fcm.googleapis.com", false},
	} {
		if got := webPushHostAllowed(c.hosts, c.host); got != c.want {
			t.Errorf("%v %q: %v, want %v", c.hosts, c.host, got, c.want)
		}
	}
}

// Stored settings are decoded over the defaults: the default list must
// not be what they are decoded into (it became the first node's list).
func TestWebPushHostsDefaultsStay(t *testing.T) {
	st := settingsFrom(Config{})
	if err := json.Unmarshal([]byte(`{"webPushHosts":["127.0.0.1"]}`), st); err != nil {
		t.Fatal(err)
	}
	if st.WebPushHosts[0] != "127.0.0.1" || defaultWebPushHosts[0] != "fcm.googleapis.com" || settingsFrom(Config{}).WebPushHosts[0] != "fcm.googleapis.com" {
		t.Fatalf("decoded %v, defaults now %v", st.WebPushHosts, defaultWebPushHosts)
	}
}

func TestValidHostPattern(t *testing.T) {
	for h, want := range map[string]bool{
		"fcm.googleapis.com": true, "*.notify.windows.com": true, "127.0.0.1": true, "xn--fcm-xx.example": true,
		"": false, ".": false, "a..b": false, "*.": false, "a.*.b": false, "h:443": false, "http://x": false,
		"ｆcm.googleapis.com": false, "-a.b": false, "a%2e": false, "[::1]": false,
	} {
		if got := validHostPattern(h); got != want {
			t.Errorf("%q: %v, want %v", h, got, want)
		}
	}
}
