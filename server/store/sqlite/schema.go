package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// migrations are applied in order, each in its own transaction, and never
// edited once released: a schema change is a new entry.
var migrations = []string{
	// 1: messages, conversations, per-user conversation state, groups, users.
	`
CREATE TABLE messages (
	id            INTEGER PRIMARY KEY,  -- insertion order, so inserts append
	conv_id       TEXT    NOT NULL,
	seq           INTEGER NOT NULL,
	uid           TEXT    NOT NULL,
	sender        TEXT    NOT NULL,
	client_msg_id TEXT    NOT NULL,
	sent_time     INTEGER NOT NULL,
	body          BLOB    NOT NULL      -- the wire Message
);
CREATE UNIQUE INDEX messages_conv_seq ON messages(conv_id, seq);
CREATE UNIQUE INDEX messages_uid ON messages(uid);
CREATE UNIQUE INDEX messages_client ON messages(sender, client_msg_id);

CREATE TABLE convs (
	id        TEXT PRIMARY KEY,
	last_seq  INTEGER NOT NULL,
	last_time INTEGER NOT NULL,
	changed   INTEGER NOT NULL          -- sync version of the last change
) WITHOUT ROWID;

CREATE TABLE user_convs (
	user_id   TEXT    NOT NULL,
	conv_id   TEXT    NOT NULL,
	conv_type INTEGER NOT NULL,
	target    TEXT    NOT NULL,         -- the peer, or the group id
	start_seq INTEGER NOT NULL,         -- first sequence number visible
	end_seq   INTEGER NOT NULL,         -- last visible (left the group), 0: open
	read_seq  INTEGER NOT NULL,
	changed   INTEGER NOT NULL,
	PRIMARY KEY (user_id, conv_id)
) WITHOUT ROWID;

CREATE TABLE groups (
	id        TEXT PRIMARY KEY,
	name      TEXT    NOT NULL,
	owner     TEXT    NOT NULL,
	dismissed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE group_members (
	group_id TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	role     INTEGER NOT NULL,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

CREATE TABLE users (
	id                 TEXT PRIMARY KEY,
	tokens_valid_after INTEGER NOT NULL DEFAULT 0  -- unix ms
) WITHOUT ROWID;
`,
	// 2: messages a user deleted for themselves (deleteMessages).
	`
CREATE TABLE user_hidden (
	user_id TEXT    NOT NULL,
	conv_id TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (user_id, conv_id, seq)
) WITHOUT ROWID;
`,
	// 3: app settings (GET/PUT /v1/settings); the first sequence number
	// retention kept in each conversation.
	`
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) WITHOUT ROWID;
ALTER TABLE convs ADD COLUMN first_seq INTEGER NOT NULL DEFAULT 1;
`,
	// 4: receipts: readers per message (notified: told to the sender),
	// exact read counts, quotas (receipt messages per group per day), and
	// delivery receipts not yet delivered.
	`
CREATE TABLE receipt_readers (
	conv_id   TEXT    NOT NULL,
	uid       TEXT    NOT NULL,
	reader    TEXT    NOT NULL,
	read_time INTEGER NOT NULL,
	sent_time INTEGER NOT NULL,
	notified  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (conv_id, uid, reader)
) WITHOUT ROWID;
CREATE INDEX receipt_readers_unnotified ON receipt_readers(conv_id, uid) WHERE notified = 0;
CREATE INDEX receipt_readers_sent ON receipt_readers(sent_time);
CREATE TABLE receipt_counts (
	conv_id    TEXT    NOT NULL,
	uid        TEXT    NOT NULL,
	read_count INTEGER NOT NULL,
	sent_time  INTEGER NOT NULL,
	PRIMARY KEY (conv_id, uid)
) WITHOUT ROWID;
CREATE TABLE quotas (
	key   TEXT PRIMARY KEY,
	count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE pending_deliveries (
	recipient TEXT    NOT NULL,
	conv_id   TEXT    NOT NULL,
	seq       INTEGER NOT NULL,
	uid       TEXT    NOT NULL,
	sender    TEXT    NOT NULL,
	PRIMARY KEY (recipient, conv_id, seq)
) WITHOUT ROWID;
`,
	// 5: when a delivery receipt was asked for, so those never delivered
	// expire with the receipt validity.
	`
ALTER TABLE pending_deliveries ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
`,
	// 6: the de-duplication index led by the client id. Client ids are
	// time-ordered (the SDK makes them so), so new entries land at the
	// index's tail rather than at one place per sender: each commit writes
	// about one random page per message fewer. Lookups still give both
	// columns. (On a large database this rebuilds the index once, at start.)
	`
DROP INDEX messages_client;
CREATE UNIQUE INDEX messages_client_time ON messages(client_msg_id, sender);
`,
	// 7: 6 undone. The sender-led index is also what erasing a user
	// (DELETE /v1/users/{id}) finds their messages by; without it that ran
	// a scan of every message inside the writer's transaction, holding up
	// all sends. The ~4 % that 6 saved per append is not worth that.
	`
DROP INDEX messages_client_time;
CREATE UNIQUE INDEX messages_client ON messages(sender, client_msg_id);
`,
	// 8: 6 again, with erasing no longer needing a sender-led index. Each
	// sender-led entry is a random page per message in every commit — and,
	// as the index outgrows the batches, one more page per message in the
	// WAL and in every checkpoint (2.4 WAL pages per message at 10,000/s
	// against 1.6 without it). Erasing now finds a user's messages through
	// sent_convs, the conversations each user has sent to (written once per
	// pair), and each conversation's (conv_id, seq) index. (On a large
	// database this reads every message once, at start.)
	`
CREATE TABLE sent_convs (
	sender  TEXT NOT NULL,
	conv_id TEXT NOT NULL,
	PRIMARY KEY (sender, conv_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO sent_convs(sender, conv_id) SELECT sender, conv_id FROM messages WHERE sender <> '';
DROP INDEX messages_client;
CREATE UNIQUE INDEX messages_client_time ON messages(client_msg_id, sender);
`,
	// 9: the receipt position, apart from the read watermark: reading no
	// longer tells the peer, a read receipt does (and moves no counts).
	// Until now every read was told, so receipts start at the watermark.
	`
ALTER TABLE user_convs ADD COLUMN receipt_seq INTEGER NOT NULL DEFAULT 0;
UPDATE user_convs SET receipt_seq = read_seq;
`,
	// 10: each user's settings of a conversation (pin, do-not-disturb),
	// apart from user_convs: a user may pin a conversation that has no
	// message yet. changed is the sync version of the last change.
	`
CREATE TABLE conv_settings (
	user_id   TEXT    NOT NULL,
	conv_type INTEGER NOT NULL,
	target    TEXT    NOT NULL,
	channel   TEXT    NOT NULL,
	is_top    INTEGER NOT NULL,
	level     INTEGER NOT NULL,
	time      INTEGER NOT NULL,
	changed   INTEGER NOT NULL,
	PRIMARY KEY (user_id, conv_type, target, channel)
) WITHOUT ROWID;
CREATE INDEX conv_settings_changed ON conv_settings(user_id, changed);
`,
	// 11: removeConversation: the conversation is out of the user's list
	// until a message after removed_seq.
	`
ALTER TABLE conv_settings ADD COLUMN removed_seq INTEGER NOT NULL DEFAULT 0;
`,
	// 12: unread and mention counts computed on the server (backfilled by
	// backfillCounts). counted: 0 the message raises nobody's unread count,
	// 1 everyone's who sees the conversation but its sender, 2 those it is
	// targeted at (directed_user_ids). The conversation's index carries
	// counted and sender, so counting a user's unread messages is a scan of
	// index entries, with no extra write per message; (conv_id, seq) stays
	// unique by the writer's gapless numbering. mentions: one row per
	// member a message names ('' once for @all).
	`
ALTER TABLE messages ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
DROP INDEX messages_conv_seq;
CREATE UNIQUE INDEX messages_conv_seq ON messages(conv_id, seq, counted, sender);
CREATE TABLE mentions (
	conv_id TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	sender  TEXT    NOT NULL,
	PRIMARY KEY (conv_id, user_id, seq)
) WITHOUT ROWID;
`,
	// 13: conversation tags (RongIMLib's): a user's tags, the conversations
	// in each (ord: the order they were added, for dropping the first
	// when a tag is full), and the version of each user's tags.
	`
CREATE TABLE tags (
	user_id TEXT    NOT NULL,
	tag_id  TEXT    NOT NULL,
	name    TEXT    NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (user_id, tag_id)
) WITHOUT ROWID;
CREATE TABLE tag_convs (
	user_id   TEXT    NOT NULL,
	tag_id    TEXT    NOT NULL,
	conv_type INTEGER NOT NULL,
	target    TEXT    NOT NULL,
	channel   TEXT    NOT NULL,
	is_top    INTEGER NOT NULL,
	time      INTEGER NOT NULL,
	ord       INTEGER NOT NULL,
	PRIMARY KEY (user_id, tag_id, conv_type, target, channel)
) WITHOUT ROWID;
CREATE TABLE tag_versions (
	user_id TEXT PRIMARY KEY,
	version INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 14: erasing a user removes the mentions of them by index.
	`
CREATE INDEX mentions_user ON mentions(user_id);
`,
	// 15: groups managed from the client (RongIMLib's hosted groups):
	// roles become RongIMLib's GroupMemberRole (1 member, 2 manager, 3
	// owner); a group's creator, creation time, profile (JSON: portrait,
	// introduction, notice, extProfile, permission settings) and mute-all;
	// a member's nickname, extra, joining time, mute and own settings
	// (JSON: remark, follows); the groups of a user; join requests and
	// invitations.
	`
UPDATE group_members SET role = role + 1;
ALTER TABLE groups ADD COLUMN creator TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN mute_all INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN nickname TEXT NOT NULL DEFAULT '';
ALTER TABLE group_members ADD COLUMN extra TEXT NOT NULL DEFAULT '';
ALTER TABLE group_members ADD COLUMN joined INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN muted_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN own TEXT NOT NULL DEFAULT '';
CREATE INDEX group_members_user ON group_members(user_id);
CREATE TABLE group_applications (
	group_id TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	inviter  TEXT    NOT NULL,  -- '': the user asked to join
	status   INTEGER NOT NULL,  -- RongIMLib's GroupApplicationStatus
	operator TEXT    NOT NULL,
	reason   TEXT    NOT NULL,
	time     INTEGER NOT NULL,
	PRIMARY KEY (group_id, user_id, inviter)
) WITHOUT ROWID;
CREATE INDEX group_applications_user ON group_applications(user_id);
CREATE INDEX group_applications_inviter ON group_applications(inviter) WHERE inviter <> '';
`,
	// 16: people: profiles and settings (profile: the wire UserProfile),
	// friend lists (a row per side), friend requests, blacklists, and
	// subscriptions to others' online status and profiles.
	`
CREATE TABLE people (
	user_id        TEXT PRIMARY KEY,
	profile        BLOB    NOT NULL,
	unique_id      TEXT    NOT NULL DEFAULT '',
	visibility     INTEGER NOT NULL DEFAULT 0,
	add_permission INTEGER NOT NULL DEFAULT 0,
	updated        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE UNIQUE INDEX people_unique_id ON people(unique_id) WHERE unique_id <> '';
CREATE TABLE friends (
	user_id   TEXT    NOT NULL,
	friend_id TEXT    NOT NULL,
	remark    TEXT    NOT NULL,
	ext       TEXT    NOT NULL,  -- JSON
	added     INTEGER NOT NULL,
	PRIMARY KEY (user_id, friend_id)
) WITHOUT ROWID;
CREATE INDEX friends_friend ON friends(friend_id);
CREATE TABLE friend_requests (
	from_id TEXT    NOT NULL,
	to_id   TEXT    NOT NULL,
	status  INTEGER NOT NULL,
	extra   TEXT    NOT NULL,
	time    INTEGER NOT NULL,
	PRIMARY KEY (from_id, to_id)
) WITHOUT ROWID;
CREATE INDEX friend_requests_to ON friend_requests(to_id);
CREATE TABLE blacklist (
	user_id    TEXT    NOT NULL,
	blocked_id TEXT    NOT NULL,
	time       INTEGER NOT NULL,
	PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;
CREATE TABLE subscriptions (
	subscriber TEXT    NOT NULL,
	target     TEXT    NOT NULL,
	type       INTEGER NOT NULL,  -- SubscribeType
	time       INTEGER NOT NULL,  -- subscribed at, ms
	expiry     INTEGER NOT NULL,  -- seconds after time
	PRIMARY KEY (subscriber, type, target)
) WITHOUT ROWID;
CREATE INDEX subscriptions_target ON subscriptions(target);
`,
	// 17: what a reader sends with a read ack (Easemob's ackContent).
	`ALTER TABLE receipt_readers ADD COLUMN content TEXT NOT NULL DEFAULT '';`,
	// 18: the app server's block of a user (unix ms; 0: none).
	`ALTER TABLE users ADD COLUMN blocked_until INTEGER NOT NULL DEFAULT 0;`,
	// 19: chat rooms (store.Chatrooms): the rooms (empty_since: when the
	// last member left, 0 while anyone is in), their members a row per
	// (user, node) so every node counts the same, their entries and
	// mutes. Their history is ordinary messages ("r:<room>"). The partial
	// index finds the hidden marks of chat room messages, which have no
	// index led by the conversation, without costing other hides anything.
	`
CREATE TABLE chatrooms (
	id          TEXT PRIMARY KEY,
	created     INTEGER NOT NULL,
	muted_all   INTEGER NOT NULL DEFAULT 0,
	empty_since INTEGER NOT NULL DEFAULT 0,
	members     INTEGER NOT NULL DEFAULT 0 -- users with a row in chatroom_members (kept by join and leave: a count per join was quadratic)
) WITHOUT ROWID;
CREATE TABLE chatroom_members (
	room    TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	node    TEXT    NOT NULL,
	joined  INTEGER NOT NULL,
	PRIMARY KEY (room, user_id, node)
) WITHOUT ROWID;
CREATE INDEX chatroom_members_joined ON chatroom_members(room, joined);
CREATE INDEX chatroom_members_node ON chatroom_members(node, joined);
CREATE TABLE chatroom_entries (
	room        TEXT    NOT NULL,
	key         TEXT    NOT NULL,
	value       TEXT    NOT NULL,
	owner       TEXT    NOT NULL,
	time        INTEGER NOT NULL,
	auto_delete INTEGER NOT NULL,
	PRIMARY KEY (room, key)
) WITHOUT ROWID;
CREATE TABLE chatroom_mutes (
	room    TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	until   INTEGER NOT NULL,
	PRIMARY KEY (room, user_id)
) WITHOUT ROWID;
CREATE INDEX user_hidden_chatroom ON user_hidden(conv_id, seq) WHERE conv_id >= 'r:' AND conv_id < 'r;';
`,
	// 20: ultra groups (store.UltraGroups): the groups, their members (with
	// their mutes), channels and who may use a private channel. Each
	// channel is a conversation ("ug:<group>:<channel>") a member has a
	// user_convs row of (their watermark), none per message.
	`
CREATE TABLE ultra_groups (
	id        TEXT PRIMARY KEY,
	name      TEXT    NOT NULL,
	owner     TEXT    NOT NULL,
	created   INTEGER NOT NULL,
	muted_all INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE ultra_members (
	group_id    TEXT    NOT NULL,
	user_id     TEXT    NOT NULL,
	muted_until INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX ultra_members_user ON ultra_members(user_id);
CREATE TABLE ultra_channels (
	group_id   TEXT    NOT NULL,
	channel_id TEXT    NOT NULL,
	private    INTEGER NOT NULL,
	created    INTEGER NOT NULL,
	base       INTEGER NOT NULL, -- its conversation's first seq (a channel made again after one of its id was deleted starts past the old one's messages)
	PRIMARY KEY (group_id, channel_id)
) WITHOUT ROWID;
CREATE TABLE ultra_channel_users (
	group_id   TEXT NOT NULL,
	channel_id TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	PRIMARY KEY (group_id, channel_id, user_id)
) WITHOUT ROWID;
`,
	// 21: the webhooks' outbox (store.Outbox): events owed to the app's
	// backend, claimed by a node until claimed_until, due again at due.
	`
CREATE TABLE outbox (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id      TEXT    NOT NULL UNIQUE,
	kind          TEXT    NOT NULL,
	body          BLOB    NOT NULL,
	created       INTEGER NOT NULL,
	attempts      INTEGER NOT NULL DEFAULT 0,
	due           INTEGER NOT NULL,
	claimed_by    TEXT    NOT NULL DEFAULT '',
	claimed_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(due, id);
`,
	// 22: Web Push subscriptions (store.WebPush), one per device.
	`
CREATE TABLE webpush_subscriptions (
	user_id  TEXT    NOT NULL,
	device   TEXT    NOT NULL,
	endpoint TEXT    NOT NULL,
	p256dh   TEXT    NOT NULL,
	auth     TEXT    NOT NULL,
	created  INTEGER NOT NULL,
	PRIMARY KEY (user_id, device)
) WITHOUT ROWID;
CREATE INDEX webpush_endpoint ON webpush_subscriptions(endpoint);
`,
	// 23: the outbox without AUTOINCREMENT (its sqlite_sequence row was
	// one more write per message) and without the claim columns (claims
	// are the server's, in memory: outbox.go). The writer hands out the
	// ids (writer.outboxID): SQLite's would reuse a deleted largest one.
	`
CREATE TABLE outbox_new (
	id       INTEGER PRIMARY KEY,
	event_id TEXT    NOT NULL UNIQUE,
	kind     TEXT    NOT NULL,
	body     BLOB    NOT NULL,
	created  INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	due      INTEGER NOT NULL
);
INSERT INTO outbox_new(id, event_id, kind, body, created, attempts, due) SELECT id, event_id, kind, body, created, attempts, due FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(due, id);
`,
	// 24: each user's quiet hours (Person.QuietHours): a QuietHours
	// message, empty when none is set.
	`
ALTER TABLE people ADD COLUMN quiet_hours BLOB NOT NULL DEFAULT x'';
`,
	// 25: a conversation's do-not-disturb of a set length
	// (ConversationSettings.dnd_until, server ms; 0 none).
	`
ALTER TABLE conv_settings ADD COLUMN dnd_until INTEGER NOT NULL DEFAULT 0;
`,
	// 26: the time a conversation's list order goes by
	// (ConversationState.last_time): its last message's that is not a
	// marker (a recall, an edit, an expansion, a receipt request act on an
	// older message and move no list, as on a device that saw them live).
	// Until then the head's time, as the list went by.
	`
ALTER TABLE convs ADD COLUMN list_time INTEGER NOT NULL DEFAULT 0;
UPDATE convs SET list_time = last_time;
`,
}

// backfills run after a migration's SQL, in its transaction: what SQL
// alone cannot derive from the stored messages.
var backfills = map[int]func(*sql.Tx) error{
	12: backfillCounts,
}

// backfillCounts sets counted and the mention rows of every stored
// message (on a large database this reads every message once, at start).
func backfillCounts(tx *sql.Tx) error {
	type row struct {
		id   int64
		conv string
		body []byte
	}
	var after int64
	for {
		rows, err := tx.Query(`SELECT id, conv_id, body FROM messages WHERE id > ? ORDER BY id LIMIT 1000`, after)
		if err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		var page []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.conv, &r.body); err != nil {
				rows.Close()
				return fmt.Errorf("read messages: %w", err)
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		for _, r := range page {
			m := &pb.Message{}
			if err := m.Unmarshal(r.body); err != nil {
				return fmt.Errorf("decode message %d: %w", r.id, err)
			}
			if _, err := tx.Exec(`UPDATE messages SET counted=? WHERE id=?`, store.CountClass(m), r.id); err != nil {
				return fmt.Errorf("mark message %d: %w", r.id, err)
			}
			if err := insertMentions(tx, r.conv, m); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].id
	}
}

// execer runs a statement: the writer's connection, or a migration's
// transaction.
type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

// insertMentions records whom m mentions (store.MentionedUsers).
func insertMentions(tx execer, convID string, m *pb.Message) error {
	for _, u := range store.MentionedUsers(m) {
		if _, err := tx.Exec(`INSERT INTO mentions(conv_id, user_id, seq, sender) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`,
			convID, u, m.Seq, m.FromUser); err != nil {
			return fmt.Errorf("mention in %s/%d: %w", convID, m.Seq, err)
		}
	}
	return nil
}

// migrate brings the schema to the latest version.
func migrate(ctx context.Context, db *sql.DB) error {
	return migrateTo(ctx, db, len(migrations))
}

// migrateTo brings the schema to version to (tests start from old ones).
func migrateTo(ctx context.Context, db *sql.DB, to int) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this server (%d)", have, len(migrations))
	}
	for v := have + 1; v <= to; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if fill := backfills[v]; fill != nil {
			if err := fill(tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}
