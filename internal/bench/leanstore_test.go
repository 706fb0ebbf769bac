package bench

import (
	"testing"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/storetest"
)

// The lean store keeps what the engine reads back (see leanStore), and
// promises that part of the Store contract: this user's sends, received
// messages' ids by server id, cursors, meta, a cancelled Apply, and
// isolation of what it keeps. It keeps no received message whole, no
// history, applies no deletes or clears, and refuses no batch.
const leanParts = storetest.Sends | storetest.ReceivedIDs | storetest.Cursors | storetest.Meta | storetest.Cancel | storetest.Isolation

func TestLeanStoreContract(t *testing.T) {
	storetest.RunParts(t, func(*testing.T) client.Store { return newLeanStore() }, leanParts)
}
