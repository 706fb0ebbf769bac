package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/imwasm/imwasm/proto/contract"
)

// A group from before migration 15 keeps its members with RongIMLib's
// roles (owner 3, admin 2, member 1) and RongIMLib's default permissions.
func TestMigrationKeepsGroups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "im.db")
	db, err := sql.Open("sqlite", dsn(path, "journal_mode(WAL)"))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 14); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO groups(id, name, owner) VALUES ('g', 'old', 'o')`,
		`INSERT INTO group_members(group_id, user_id, role) VALUES ('g','o',2), ('g','a',1), ('g','m',0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	d := open(t, path)
	g, err := d.Group(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "old" || g.OwnerID != "o" || g.Members["o"].Role != contract.RoleOwner || g.Members["a"].Role != contract.RoleManager ||
		g.Members["m"].Role != contract.RoleNormal || g.Policy != (contract.GroupPolicy{}) {
		t.Fatalf("after the migration: %+v", g)
	}
	if joined, err := d.JoinedGroups(ctx, "m"); err != nil || joined["g"] != contract.RoleNormal {
		t.Fatalf("m's groups: %v %v", joined, err)
	}
}
