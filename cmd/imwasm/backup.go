package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/imwasm/imwasm/server/store/sqlite"
)

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("backup", "[--data DIR] DEST", stderr)
	data := flags.String("data", "./data", "the server's data directory (env "+envName("data")+")")
	storeURL := flags.String("store", "sqlite", "the server's --store (env "+envName("store")+"): backup copies the SQLite store")
	pos, err := parseFlags(flags, args, "data", "store")
	if err != nil {
		return err
	}
	if *storeURL != "sqlite" {
		// The database is the state: PostgreSQL's tools back it up, while
		// the servers run.
		return fmt.Errorf("imwasm backup copies the SQLite store; with --store %s back up the database with PostgreSQL's tools, e.g.\n"+
			"  pg_dump --format=custom --file=imwasm.dump '%s'\n"+
			"(or base backups and WAL archiving), and the uploaded files under --data with your file backup", redactURL(*storeURL), redactURL(*storeURL))
	}
	if len(pos) != 1 {
		return usagef("want exactly one DEST argument, got %d", len(pos))
	}
	dest := pos[0]

	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("%s already exists; refusing to overwrite it", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if st, err := os.Stat(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("destination directory: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("destination directory %s is not a directory", filepath.Dir(dest))
	}

	// Check the source first: opening a missing SQLite file would create
	// an empty one.
	src := filepath.Join(*data, DBFile)
	st, err := os.Stat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s (is --data right?)", src)
	} else if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}

	// Create DEST empty and private first (VACUUM INTO accepts an empty
	// file): O_EXCL closes the race with the check above, and the copy
	// holds every message, so it must not be world-readable.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	if err := sqlite.BackupFile(ctx, src, dest); err != nil {
		// Do not leave a partial copy that a later run would refuse to
		// overwrite.
		os.Remove(dest)
		return err
	}
	out, err := os.Stat(dest)
	if err != nil {
		return fmt.Errorf("backup reported success but %w", err)
	}
	_, err = fmt.Fprintf(stdout, "wrote %s (%d bytes), a consistent copy of %s\n", dest, out.Size(), src)
	return err
}

// redactURL hides a URL's password (a --store value in an error message).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(the given URL)"
	}
	return u.Redacted()
}
