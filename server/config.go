package server

import (
	"log/slog"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	"github.com/imwasm/imwasm/server/bus"
)

// MaxDurationSeconds bounds every duration that comes from outside: the
// settings, the API's parameters and the command line's flags. 100 years
// (of 365.25 days) is beyond any use and far inside time.Duration's ±292
// years, so no such value times time.Second can overflow (an overflowed
// retention once turned negative and deleted everything).
const MaxDurationSeconds = 3_155_760_000

// MaxDuration is MaxDurationSeconds as a time.Duration.
const MaxDuration = MaxDurationSeconds * time.Second

// Config is everything `imwasm serve` sets. Zero values take the defaults
// noted on each field (see Defaults).
type Config struct {
	Addr      string // listen address, "127.0.0.1:8080"
	DataDir   string // SQLite database and files live here, "./data"
	AppKey    string // clients must present it in Auth
	AppSecret string // signs tokens (HS256)

	// Store is where the state is kept: "" or "sqlite", a database file in
	// DataDir; a postgres:// URL, a PostgreSQL database that the nodes of
	// a cluster share (files stay in DataDir).
	Store string

	// AllowedOrigins narrows the browser origins accepted on the WebSocket
	// and file endpoints; empty accepts any (auth is a bearer token).
	AllowedOrigins []string

	MaxSessions int // per user; the oldest beyond it is kicked (31010). Default 10.
	// SendRate is messages per second per user, over all their sessions
	// (20604 beyond); 0 takes the default 5, negative disables.
	SendRate  float64
	SendBurst int // the send bucket's size, default 10
	// WriteRate meters each user's other writes that are stored or fanned
	// out: expansion, recall, delete, clear history, read state, receipt
	// requests and responses, typing (20607 beyond). 0 takes the default
	// 20 per second, negative disables.
	WriteRate       float64
	WriteBurst      int           // default 40
	MaxContentBytes int           // default 128 KiB (30016 beyond), at most 512 KiB
	AuthTimeout     time.Duration // first frame deadline, default 5s
	Heartbeat       time.Duration // client ping interval announced in AuthOK, default 15s; idle > 3x closes
	// SendQueueBytes bounds what is queued for one session and not yet
	// written; past it the session is closed as a slow consumer. Default
	// 8 MiB.
	SendQueueBytes  int
	NewDeviceWindow time.Duration // what a brand-new device receives, default 7 days
	NewDeviceMax    int           // at most this many per conversation, default 1000
	// HistoryScanMax: the most messages one narrowed history page
	// examines (HistoryRequest's object_names, sender, bound), default 2000.
	HistoryScanMax    int
	FullSync          bool          // fsync every commit (survives power loss, not only kill -9)
	RecallWindow      time.Duration // how long after sending a message may be recalled, default 2 minutes; negative: no limit (a stored setting wins)
	RetentionInterval time.Duration // how often expired messages are deleted, default 1 hour
	// ChatroomSweepInterval: how often empty chat rooms and room history
	// past its time go (one node of a cluster does it), default 1 minute.
	ChatroomSweepInterval time.Duration
	// ChatroomBatch: in a chat room with 1,000 sessions or more on this
	// node, messages go out to them at most this often, together (each
	// member's writes, not the room's messages, are what costs), default
	// 200ms; negative: at once.
	ChatroomBatch time.Duration
	// WebhookLease: how long a node holds the webhook events it claimed
	// (a node that dies leaves them this long before another takes them);
	// it must outlast a claim's posts. Default 2 minutes.
	WebhookLease   time.Duration
	MaxUploadBytes int64 // largest upload (26106 beyond), default 100 MiB (a stored setting wins)
	// UploadQuotaBytes: what each uploader id may keep, counting each file
	// 4 KiB more (26106 beyond); default 1 GiB; negative: no quota (a
	// stored setting wins).
	UploadQuotaBytes int64
	// WebPushAllowHTTP lets devices subscribe with http push endpoints
	// (tests and development only: real push services are https).
	WebPushAllowHTTP bool
	// PublicURL is how clients reach this server (https://im.example.com),
	// for the URLs of uploaded files; empty: taken from each request.
	PublicURL string
	// UploadIdle: an upload that sends nothing for this long is dropped,
	// and any other request's body (at most 1 MiB) must have come within
	// it (default 30s).
	UploadIdle time.Duration
	// DownloadIdle: a download whose client takes nothing for this long
	// is dropped; the write deadline moves with every 64 KiB written, so
	// a slow but steady reader is not (default 30s).
	DownloadIdle time.Duration
	// IdleTimeout closes a kept-alive HTTP connection that sends no next
	// request for this long (default 2 minutes; WebSockets have their
	// own heartbeat).
	IdleTimeout time.Duration

	// Files is where uploaded files are kept: "" or "disk", DataDir/files
	// (each node its own); an s3:// URL (s3://BUCKET[/PREFIX]?endpoint=
	// URL&region=R, credentials from the AWS variables), shared by the
	// nodes of a cluster.
	Files string

	// Bus carries live traffic between the nodes of a cluster: "" or
	// "local", a cluster of one; a nats:// URL (several, comma-separated,
	// for a NATS cluster), the nodes on that NATS with the same app key.
	Bus string
	// NewBus, when set, makes the bus instead (tests plug one in).
	NewBus func(bus.Node) (bus.Bus, error)
	// ClusterBeat is how often a node tells the others it is alive
	// (default 1s); ClusterDeadAfter, how long one may be silent before it
	// counts as gone (default 5 beats).
	ClusterBeat, ClusterDeadAfter time.Duration

	Logger *slog.Logger
	// Now is the clock of every rule that measures time: token expiry
	// and revocation, the recall window, typing's interval, the new-device
	// window, retention, receipt validity, quotas and rate limits (tests
	// move it forward past a window). What the server records or sends as
	// a time (sent times, uids, file creation, ServerTime) and I/O
	// deadlines and timers stay on the real clock. Default time.Now.
	Now func() time.Time
	// ReceiptInterval: a sender's devices get at most one receipt update
	// per message per this long (default 100ms).
	ReceiptInterval time.Duration
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 10
	}
	if c.SendRate == 0 {
		c.SendRate = 5
	}
	if c.SendBurst <= 0 {
		c.SendBurst = 10
	}
	if c.MaxContentBytes <= 0 {
		c.MaxContentBytes = contract.DefaultContentBytes
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = 5 * time.Second
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.WriteRate == 0 {
		c.WriteRate = 20
	}
	if c.WriteBurst <= 0 {
		c.WriteBurst = 40
	}
	if c.SendQueueBytes <= 0 {
		c.SendQueueBytes = 8 << 20
	}
	if c.NewDeviceWindow <= 0 {
		c.NewDeviceWindow = 7 * 24 * time.Hour
	}
	if c.NewDeviceMax <= 0 {
		c.NewDeviceMax = 1000
	}
	if c.HistoryScanMax <= 0 {
		c.HistoryScanMax = 2000
	}
	if c.RecallWindow == 0 {
		c.RecallWindow = 2 * time.Minute
	}
	if c.ChatroomBatch == 0 {
		c.ChatroomBatch = 200 * time.Millisecond
	}
	if c.ChatroomSweepInterval <= 0 {
		c.ChatroomSweepInterval = time.Minute
	}
	if c.WebhookLease <= 0 {
		c.WebhookLease = 2 * time.Minute
	}
	if c.RetentionInterval <= 0 {
		c.RetentionInterval = time.Hour
	}
	if c.UploadIdle <= 0 {
		c.UploadIdle = 30 * time.Second
	}
	if c.DownloadIdle <= 0 {
		c.DownloadIdle = 30 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 100 << 20
	}
	if c.UploadQuotaBytes == 0 {
		c.UploadQuotaBytes = 1 << 30
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ClusterBeat <= 0 {
		c.ClusterBeat = time.Second
	}
	if c.ClusterDeadAfter <= 0 {
		c.ClusterDeadAfter = 5 * c.ClusterBeat
	}
	if c.ReceiptInterval <= 0 {
		c.ReceiptInterval = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
