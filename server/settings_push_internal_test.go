package server

import "testing"

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
