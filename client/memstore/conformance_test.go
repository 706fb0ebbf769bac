package memstore

import (
	"testing"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) client.Store { return New() })
}
