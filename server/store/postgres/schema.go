package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are applied in order, each in its own transaction, and never
// edited once released: a schema change is a new entry. The tables and
// columns are the SQLite store's (server/store/sqlite/schema.go), as that
// store's migrations left them, in PostgreSQL's types.
var migrations = []string{
	// 1: the message core.
	`
CREATE TABLE sync_state (
	id      integer PRIMARY KEY CHECK (id = 1),
	version bigint  NOT NULL          -- the last sync version taken (see the package comment)
);
INSERT INTO sync_state VALUES (1, 0);

CREATE TABLE messages (
	conv_id       text     NOT NULL,
	seq           bigint   NOT NULL,
	uid           text     NOT NULL,
	sender        text     NOT NULL,
	client_msg_id text     NOT NULL,
	sent_time     bigint   NOT NULL,
	counted       smallint NOT NULL,  -- store.CountClass
	body          bytea    NOT NULL,  -- the wire Message
	PRIMARY KEY (conv_id, seq)
);
CREATE UNIQUE INDEX messages_uid ON messages(uid);
CREATE UNIQUE INDEX messages_client ON messages(sender, client_msg_id);

CREATE TABLE convs (
	id        text   PRIMARY KEY,
	last_seq  bigint NOT NULL,
	last_time bigint NOT NULL,
	first_seq bigint NOT NULL DEFAULT 1, -- retention removed what lies below
	changed   bigint NOT NULL            -- sync version of the last change
);

CREATE TABLE user_convs (
	user_id     text    NOT NULL,
	conv_id     text    NOT NULL,
	conv_type   integer NOT NULL,
	target      text    NOT NULL,        -- the peer, or the group id
	start_seq   bigint  NOT NULL,        -- first sequence number visible
	end_seq     bigint  NOT NULL,        -- last visible (left the group), 0: open
	read_seq    bigint  NOT NULL,
	receipt_seq bigint  NOT NULL DEFAULT 0,
	changed     bigint  NOT NULL,
	PRIMARY KEY (user_id, conv_id)
);

CREATE TABLE sent_convs (
	sender  text NOT NULL,
	conv_id text NOT NULL,
	PRIMARY KEY (sender, conv_id)
);

CREATE TABLE mentions (
	conv_id text   NOT NULL,
	user_id text   NOT NULL,
	seq     bigint NOT NULL,
	sender  text   NOT NULL,
	PRIMARY KEY (conv_id, user_id, seq)
);
CREATE INDEX mentions_user ON mentions(user_id);

CREATE TABLE user_hidden (
	user_id text   NOT NULL,
	conv_id text   NOT NULL,
	seq     bigint NOT NULL,
	PRIMARY KEY (user_id, conv_id, seq)
);

CREATE TABLE conv_settings (
	user_id     text    NOT NULL,
	conv_type   integer NOT NULL,
	target      text    NOT NULL,
	channel     text    NOT NULL,
	is_top      boolean NOT NULL,
	level       integer NOT NULL,
	time        bigint  NOT NULL,
	removed_seq bigint  NOT NULL DEFAULT 0,
	changed     bigint  NOT NULL,
	PRIMARY KEY (user_id, conv_type, target, channel)
);
CREATE INDEX conv_settings_changed ON conv_settings(user_id, changed);

CREATE TABLE pending_deliveries (
	recipient text   NOT NULL,
	conv_id   text   NOT NULL,
	seq       bigint NOT NULL,
	uid       text   NOT NULL,
	sender    text   NOT NULL,
	created   bigint NOT NULL,
	PRIMARY KEY (recipient, conv_id, seq)
);
`,
	// 2: groups (server/store/grouprows.go).
	`
CREATE TABLE groups (
	id        text    PRIMARY KEY,
	name      text    NOT NULL,
	owner     text    NOT NULL,
	dismissed boolean NOT NULL DEFAULT false,
	creator   text    NOT NULL DEFAULT '',
	created   bigint  NOT NULL DEFAULT 0,
	profile   text    NOT NULL DEFAULT '',
	mute_all  boolean NOT NULL DEFAULT false
);
CREATE TABLE group_members (
	group_id    text    NOT NULL,
	user_id     text    NOT NULL,
	role        integer NOT NULL,
	nickname    text    NOT NULL DEFAULT '',
	extra       text    NOT NULL DEFAULT '',
	joined      bigint  NOT NULL DEFAULT 0,
	muted_until bigint  NOT NULL DEFAULT 0,
	own         text    NOT NULL DEFAULT '',
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);
CREATE TABLE group_applications (
	group_id text    NOT NULL,
	user_id  text    NOT NULL,
	inviter  text    NOT NULL,  -- '': the user asked to join
	status   integer NOT NULL,  -- RongIMLib's GroupApplicationStatus
	operator text    NOT NULL,
	reason   text    NOT NULL,
	time     bigint  NOT NULL,
	PRIMARY KEY (group_id, user_id, inviter)
);
CREATE INDEX group_applications_user ON group_applications(user_id);
CREATE INDEX group_applications_inviter ON group_applications(inviter) WHERE inviter <> '';
`,
	// 3: conversation tags. A user's tags version counts their changes (on
	// SQLite it is the sync version; devices only compare it with itself).
	`
CREATE TABLE tags (
	user_id text   NOT NULL,
	tag_id  text   NOT NULL,
	name    text   NOT NULL,
	created bigint NOT NULL,
	PRIMARY KEY (user_id, tag_id)
);
CREATE TABLE tag_convs (
	user_id   text    NOT NULL,
	tag_id    text    NOT NULL,
	conv_type integer NOT NULL,
	target    text    NOT NULL,
	channel   text    NOT NULL,
	is_top    boolean NOT NULL,
	time      bigint  NOT NULL,
	ord       bigint  NOT NULL,
	PRIMARY KEY (user_id, tag_id, conv_type, target, channel)
);
CREATE TABLE tag_versions (
	user_id text   PRIMARY KEY,
	version bigint NOT NULL
);
`,
	// 4: app settings, and users' access (token revocation, blocks).
	`
CREATE TABLE settings (
	key   text  PRIMARY KEY,
	value bytea NOT NULL
);
CREATE TABLE users (
	id                 text   PRIMARY KEY,
	tokens_valid_after bigint NOT NULL DEFAULT 0, -- unix ms
	blocked_until      bigint NOT NULL DEFAULT 0  -- unix ms
);
`,
	// 5: people (server/store/pairrows.go) and presence subscriptions.
	`
CREATE TABLE people (
	user_id        text    PRIMARY KEY,
	profile        bytea   NOT NULL,
	unique_id      text    NOT NULL DEFAULT '',
	visibility     integer NOT NULL DEFAULT 0,
	add_permission integer NOT NULL DEFAULT 0,
	updated        bigint  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX people_unique_id ON people(unique_id) WHERE unique_id <> '';
CREATE TABLE friends (
	user_id   text   NOT NULL,
	friend_id text   NOT NULL,
	remark    text   NOT NULL,
	ext       text   NOT NULL,  -- JSON
	added     bigint NOT NULL,
	PRIMARY KEY (user_id, friend_id)
);
CREATE INDEX friends_friend ON friends(friend_id);
CREATE TABLE friend_requests (
	from_id text    NOT NULL,
	to_id   text    NOT NULL,
	status  integer NOT NULL,
	extra   text    NOT NULL,
	time    bigint  NOT NULL,
	PRIMARY KEY (from_id, to_id)
);
CREATE INDEX friend_requests_to ON friend_requests(to_id);
CREATE TABLE blacklist (
	user_id    text   NOT NULL,
	blocked_id text   NOT NULL,
	time       bigint NOT NULL,
	PRIMARY KEY (user_id, blocked_id)
);
CREATE TABLE subscriptions (
	subscriber text    NOT NULL,
	target     text    NOT NULL,
	type       integer NOT NULL,  -- SubscribeType
	time       bigint  NOT NULL,  -- subscribed at, ms
	expiry     bigint  NOT NULL,  -- seconds after time
	PRIMARY KEY (subscriber, type, target)
);
CREATE INDEX subscriptions_target ON subscriptions(target);
`,
	// 6: receipts: readers per message (notified: told to the sender),
	// exact read counts, quotas (receipt messages per group per day).
	`
CREATE TABLE receipt_readers (
	conv_id   text    NOT NULL,
	uid       text    NOT NULL,
	reader    text    NOT NULL,
	read_time bigint  NOT NULL,
	sent_time bigint  NOT NULL,
	notified  boolean NOT NULL DEFAULT false,
	content   text    NOT NULL DEFAULT '',
	PRIMARY KEY (conv_id, uid, reader)
);
CREATE INDEX receipt_readers_unnotified ON receipt_readers(conv_id, uid) WHERE NOT notified;
CREATE INDEX receipt_readers_sent ON receipt_readers(sent_time);
CREATE TABLE receipt_counts (
	conv_id    text    NOT NULL,
	uid        text    NOT NULL,
	read_count integer NOT NULL,
	sent_time  bigint  NOT NULL,
	PRIMARY KEY (conv_id, uid)
);
CREATE TABLE quotas (
	key   text    PRIMARY KEY,
	count integer NOT NULL
);
CREATE INDEX pending_deliveries_created ON pending_deliveries(created);
`,
	// 7: node ids for message UIDs, one per process start (Open).
	`CREATE SEQUENCE node_ids MINVALUE 1 MAXVALUE 65534 CYCLE;`,
	// 8: chat rooms (store.Chatrooms), as SQLite's migration 19. The
	// members' join-time index carries user_id, the listing's second key.
	// The chat rooms are picked out with LIKE, which holds in any
	// collation (a range on 'r:' does not).
	`
CREATE TABLE chatrooms (
	id          text    PRIMARY KEY,
	created     bigint  NOT NULL,
	muted_all   boolean NOT NULL DEFAULT false,
	empty_since bigint  NOT NULL DEFAULT 0, -- when the last member left; 0 while anyone is in
	members     integer NOT NULL DEFAULT 0  -- users with a row in chatroom_members (kept by join and leave: a count per join was quadratic)
);
CREATE TABLE chatroom_members (
	room    text   NOT NULL,
	user_id text   NOT NULL,
	node    text   NOT NULL,
	joined  bigint NOT NULL,
	PRIMARY KEY (room, user_id, node)
);
CREATE INDEX chatroom_members_joined ON chatroom_members(room, joined, user_id);
CREATE INDEX chatroom_members_node ON chatroom_members(node, joined);
CREATE TABLE chatroom_entries (
	room        text    NOT NULL,
	key         text    NOT NULL,
	value       text    NOT NULL,
	owner       text    NOT NULL,
	time        bigint  NOT NULL,
	auto_delete boolean NOT NULL,
	PRIMARY KEY (room, key)
);
CREATE TABLE chatroom_mutes (
	room    text   NOT NULL,
	user_id text   NOT NULL,
	until   bigint NOT NULL,
	PRIMARY KEY (room, user_id)
);
CREATE INDEX user_hidden_chatroom ON user_hidden(conv_id, seq) WHERE conv_id LIKE 'r:%';
`,
	// 9: ultra groups (store.UltraGroups), as SQLite's migration 20: the
	// groups, their members (with their mutes), channels and who may use
	// a private channel. Each channel is a conversation
	// ("ug:<group>:<channel>") a member has a user_convs row of (their
	// watermark), none per message.
	`
CREATE TABLE ultra_groups (
	id        text    PRIMARY KEY,
	name      text    NOT NULL,
	owner     text    NOT NULL,
	created   bigint  NOT NULL,
	muted_all boolean NOT NULL DEFAULT false
);
CREATE TABLE ultra_members (
	group_id    text   NOT NULL,
	user_id     text   NOT NULL,
	muted_until bigint NOT NULL DEFAULT 0, -- unix ms; -1: until lifted
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX ultra_members_user ON ultra_members(user_id);
CREATE TABLE ultra_channels (
	group_id   text    NOT NULL,
	channel_id text    NOT NULL,
	private    boolean NOT NULL,
	created    bigint  NOT NULL,
	base       bigint  NOT NULL, -- its conversation's first seq (a channel made again after one of its id was deleted starts past the old one's messages)
	PRIMARY KEY (group_id, channel_id)
);
CREATE TABLE ultra_channel_users (
	group_id   text NOT NULL,
	channel_id text NOT NULL,
	user_id    text NOT NULL,
	PRIMARY KEY (group_id, channel_id, user_id)
);
`,
	// 10: the webhooks' outbox (store.Outbox), as SQLite's migration 21:
	// events owed to the app's backend, claimed by one node at a time
	// (claimed_until: its lease, unix ms) and removed once delivered.
	`
CREATE TABLE outbox (
	id            bigserial PRIMARY KEY,
	event_id      text    NOT NULL UNIQUE, -- the event's id for the backend ("msg."+uid for a message)
	kind          text    NOT NULL,
	body          bytea   NOT NULL,
	created       bigint  NOT NULL,        -- unix ms
	attempts      integer NOT NULL DEFAULT 0,
	due           bigint  NOT NULL,        -- unix ms: claimable from then
	claimed_by    text    NOT NULL DEFAULT '',
	claimed_until bigint  NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(due, id);
`,
	// 11: Web Push subscriptions (store.WebPush), as SQLite's migration 22.
	`
CREATE TABLE webpush_subscriptions (
	user_id  text   NOT NULL,
	device   text   NOT NULL,
	endpoint text   NOT NULL,
	p256dh   text   NOT NULL,
	auth     text   NOT NULL,
	created  bigint NOT NULL, -- unix ms
	PRIMARY KEY (user_id, device)
);
CREATE INDEX webpush_endpoint ON webpush_subscriptions(endpoint);
`,
	// 12: each user's quiet hours, as SQLite's migration 24.
	`
ALTER TABLE people ADD COLUMN quiet_hours bytea NOT NULL DEFAULT '';
`,
	// 13: a conversation's do-not-disturb of a set length, as SQLite's 25.
	`
ALTER TABLE conv_settings ADD COLUMN dnd_until bigint NOT NULL DEFAULT 0;
`,
	// 14: the time a conversation's list order goes by, as SQLite's 26. A
	// node of an older version, upgraded one at a time, writes none: a row
	// with 0 goes by its last_time, as before (Changes).
	`
ALTER TABLE convs ADD COLUMN list_time bigint NOT NULL DEFAULT 0;
UPDATE convs SET list_time = last_time;
`,
}

// migrationLock is the advisory lock nodes take while they migrate (an
// arbitrary constant: "imwasm" in ASCII).
const migrationLock = 0x696d7761736d

// migrate brings the schema to the latest version. Nodes starting at once
// queue on an advisory lock, so each migration runs once.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("migrate: the database is at schema %d, newer than this build's %d", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version) VALUES ($1)`, v)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", v, err)
		}
	}
	return nil
}
