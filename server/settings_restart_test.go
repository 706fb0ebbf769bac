package server_test

import (
	"testing"
	"time"

	"github.com/imwasm/imwasm/server"
)

// A PUT /v1/settings stores the fields it names, not those that came from
// the command line (--max-upload-bytes, --upload-quota-bytes,
// --recall-window): after a restart with other flags, those apply, as the
// docs say (a PUT "changes the named fields (the others stay)"; the
// flags' help: "a value stored with PUT /v1/settings wins").
func TestSettingsPutKeepsTheFlagsOfOthers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) {
		c.DataDir = dir
		c.MaxUploadBytes = 1000
		c.UploadQuotaBytes = 50000
		c.RecallWindow = time.Minute
	})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"receiptsEnabled": false})
	e.stop()

	e2 := newEnv(t, func(c *server.Config) {
		c.DataDir = dir
		c.MaxUploadBytes = 5000
		c.UploadQuotaBytes = 90000
		c.RecallWindow = 10 * time.Minute
	})
	got := e2.adminOK(t, "GET", "/v1/settings", nil)
	if got["receiptsEnabled"] != false {
		t.Fatalf("the setting that was PUT did not survive: %v", got)
	}
	if got["uploadMaxBytes"] != float64(5000) || got["uploadQuotaBytes"] != float64(90000) || got["recallWindowSeconds"] != float64(600) {
		t.Errorf("after a restart with --max-upload-bytes 5000 --upload-quota-bytes 90000 --recall-window 10m: uploadMaxBytes %v, uploadQuotaBytes %v, recallWindowSeconds %v (the flags were never overridden by a PUT of those fields)",
			got["uploadMaxBytes"], got["uploadQuotaBytes"], got["recallWindowSeconds"])
	}
}
