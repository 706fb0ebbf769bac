package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/imwasm/imwasm/server/auth"
)

// minSecretLen is the shortest app secret accepted: HS256 keys shorter than
// this are guessable offline from a single token.
const minSecretLen = 16

func checkSecret(secret string) error {
	if secret == "" {
		return usagef("--app-secret (or %s) is required", envName("app-secret"))
	}
	if len(secret) < minSecretLen {
		return usagef("--app-secret must be at least %d bytes, got %d", minSecretLen, len(secret))
	}
	return nil
}

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", "--app-secret SECRET --user ID [--ttl 24h] [--admin]", stderr)
	secret := fs.String("app-secret", "", "the server's app secret that signs tokens (env "+envName("app-secret")+")")
	user := fs.String("user", "", `user id the token is for (required; "admin" by default with --admin)`)
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token stays valid (1s to 100 years)")
	admin := fs.Bool("admin", false, `mint an app-server token ("role":"admin") for the admin HTTP API`)
	pos, err := parseFlags(fs, args, "app-secret")
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if err := checkSecret(*secret); err != nil {
		return err
	}
	if *user == "" {
		if !*admin {
			return usagef("--user is required")
		}
		*user = "admin"
	}
	if *ttl < time.Second {
		return usagef("--ttl must be at least 1s, got %v", *ttl)
	}
	tok, err := auth.NewToken([]byte(*secret), *user, *ttl, *admin, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
