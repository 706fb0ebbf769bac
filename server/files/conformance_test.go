package files_test

import (
	"testing"

	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/files/filestoretest"
)

func TestDiskConformance(t *testing.T) {
	filestoretest.Run(t, func(t *testing.T) files.FileStore {
		d, err := files.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}
