package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/imwasm/imwasm/server/store"
)

// A refused imported message leaves nothing behind, not even its
// sender's note (sent_convs, what erasing walks).
func TestRefusedImportNotesNoSender(t *testing.T) {
	ctx := context.Background()
	d := open(t, "")
	conv := store.PrivateConvID("a", "b")
	first := msg("a", "b", "c1")
	first.Uid, first.SentTime = "U1", 1000
	z := msg("z", "b", "z1")
	z.Uid, z.SentTime = "U1", 2000
	res, err := d.Import(ctx, []store.Imported{{ConvID: conv, Msg: first}, {ConvID: store.PrivateConvID("z", "b"), Msg: z}})
	if err != nil || res[0] != nil || !errors.Is(res[1], store.ErrUIDTaken) {
		t.Fatalf("import: %v %v", res, err)
	}
	var notes int
	if err := d.mdb.QueryRow(`SELECT count(*) FROM sent_convs WHERE sender='z'`).Scan(&notes); err != nil || notes != 0 {
		t.Fatalf("a refused import noted its sender: %d %v", notes, err)
	}
}
