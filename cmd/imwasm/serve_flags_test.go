package main

import (
	"bytes"
	"testing"
)

// --webhook-lease 0 (or a negative lease) is refused: server.Config's
// zero is its default, so it would be replaced without a word.
func TestServeRefusesANonPositiveWebhookLease(t *testing.T) {
	clearEnv(t)
	var discard bytes.Buffer
	serve := []string{"--app-key", "k", "--app-secret", flagSecret}
	for _, v := range []string{"0", "-1m"} {
		cfg, err := parseServe(append(serve, "--webhook-lease", v), &discard)
		if err != nil {
			continue // refused: fine
		}
		cfg.Defaults()
		t.Errorf("--webhook-lease %s accepted; the server then uses %v", v, cfg.WebhookLease)
	}
}

// A negative --recall-window (or --chatroom-batch) is refused: 0 says
// "no limit" ("at once"), and a negative one meant the same by accident.
func TestServeRefusesNegativeDurations(t *testing.T) {
	clearEnv(t)
	var discard bytes.Buffer
	serve := []string{"--app-key", "k", "--app-secret", flagSecret}
	for _, f := range []string{"--recall-window", "--chatroom-batch"} {
		cfg, err := parseServe(append(serve, f, "-5m"), &discard)
		if err != nil {
			continue
		}
		t.Errorf("%s -5m accepted: recall window %v, chatroom batch %v", f, cfg.RecallWindow, cfg.ChatroomBatch)
	}
}

// --public-url must be an http(s) URL: without a scheme (im.example.com)
// every uploaded file's URL became a relative "im.example.com/v1/files/ID".
// A path (a proxy's prefix) is kept.
func TestServeChecksThePublicURL(t *testing.T) {
	clearEnv(t)
	var discard bytes.Buffer
	serve := []string{"--app-key", "k", "--app-secret", flagSecret}
	for _, v := range []string{"im.example.com", "ftp://im.example.com", "https://im.example.com?x=1"} {
		if _, err := parseServe(append(serve, "--public-url", v), &discard); err == nil {
			t.Errorf("--public-url %q accepted", v)
		}
	}
	cfg, err := parseServe(append(serve, "--public-url", "https://im.example.com/chat"), &discard)
	if err != nil || cfg.PublicURL != "https://im.example.com/chat" {
		t.Errorf("--public-url with a path: %v %q", err, cfg.PublicURL)
	}
}
