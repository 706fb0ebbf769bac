// Command imwasm is the imwasm server and its tools.
//
//	imwasm serve   --app-key KEY --app-secret SECRET [flags]   run the IM server
//	imwasm token   --app-secret SECRET --user ID [--ttl 24h]    mint a user token
//	imwasm backup  [--data DIR] DEST                            copy a (running) server's database
//	imwasm import  --url URL --app-secret SECRET FILE           import users, groups and history
//	imwasm version                                              print build information
//
// Flags of serve (and --app-secret of token, --data of backup) can also come
// from IMWASM_<FLAG> environment variables, e.g. IMWASM_APP_SECRET; a flag
// given on the command line wins over the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/imwasm/imwasm/server"
)

// DBFile is the name of the SQLite database inside the data directory: the
// server opens filepath.Join(cfg.DataDir, DBFile) and backup reads it.
const DBFile = server.DBFile

// envPrefix prefixes the environment variables that stand in for flags.
const envPrefix = "IMWASM_"

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// the module version from the build info is used.
var version = ""

// A command is one subcommand. run gets the arguments after the subcommand
// name; it writes its normal output to stdout and diagnostics to stderr.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is the subcommand table; adding a subcommand is adding an entry.
// (help is handled by run itself, so that it can list this table.)
var commands = map[string]command{
	"serve":   {"run the IM server", cmdServe},
	"token":   {"mint a user (or --admin app-server) token", cmdToken},
	"backup":  {"write a consistent copy of the database to DEST", cmdBackup},
	"bench":   {"load-test a server with simulated users (p2p, group, idle)", cmdBench},
	"import":  {"import users, friends, groups and history (JSON lines) into a running server", cmdImport},
	"version": {"print version and build information", cmdVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second Ctrl-C kills a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the process exit code:
// 0 on success (and for help), 1 when the command failed, 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(stdout)
			return 0
		}
		c, ok := commands[rest[0]]
		if !ok {
			fmt.Fprintf(stderr, "imwasm help: unknown command %q\n\n", rest[0])
			usage(stderr)
			return 2
		}
		// Every command prints its flag set's usage on -h.
		if err := c.run(ctx, []string{"-h"}, stdout, stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "imwasm help %s: %v\n", rest[0], err)
			return 1
		}
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "imwasm: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	err := c.run(ctx, rest, stdout, stderr)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errFlagParse):
		return 2 // the flag package has already explained
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "imwasm %s: %v\nRun 'imwasm help %s' for usage.\n", name, err, name)
		return 2
	default:
		fmt.Fprintf(stderr, "imwasm %s: %v\n", name, err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "imwasm is a self-hosted instant-messaging server with a Go/WebAssembly web SDK.\n\n")
	fmt.Fprint(w, "Usage:\n\n\timwasm <command> [flags] [args]\n\nCommands:\n\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\t%-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\t%-8s %s\n", "help", "show this text, or a command's flags (imwasm help <command>)")
	fmt.Fprint(w, "\nFlags may also be set with IMWASM_<FLAG> environment variables (e.g. IMWASM_APP_SECRET);\na flag on the command line wins over the environment.\n")
}

// usageError is a mistake in how a command was invoked (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errFlagParse marks errors the flag package has already printed.
var errFlagParse = errors.New("invalid flags")

// newFlagSet returns a flag set for a subcommand whose usage text starts
// with synopsis and ends with the optional footer.
func newFlagSet(name, synopsis string, out io.Writer, footer ...string) *flag.FlagSet {
	fs := flag.NewFlagSet("imwasm "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: imwasm %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		for _, l := range footer {
			fmt.Fprintln(fs.Output(), l)
		}
	}
	return fs
}

// envName is the environment variable that stands in for a flag:
// "app-secret" -> "IMWASM_APP_SECRET".
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args with fs, then fills every flag listed in fromEnv
// that was not given on the command line from its environment variable (an
// empty variable counts as unset). Positional arguments may be mixed with
// flags ("backup DEST --data x"); they are returned in order.
func parseFlags(fs *flag.FlagSet, args []string, fromEnv ...string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", errFlagParse, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, name := range fromEnv {
		if fs.Lookup(name) == nil {
			panic("parseFlags: no flag " + name) // programming error
		}
		if given[name] {
			continue
		}
		v, ok := os.LookupEnv(envName(name))
		if !ok || v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return nil, usagef("%s=%q: %v", envName(name), v, err)
		}
	}
	if err := checkDurations(fs); err != nil {
		return nil, err
	}
	return pos, nil
}

// checkDurations holds every duration flag of every command to the limit
// the server holds its settings to (100 years), so that no duration given
// at start can overflow where it is added to a time or turned into seconds.
func checkDurations(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok || err != nil {
			return
		}
		if d, ok := g.Get().(time.Duration); ok && d > server.MaxDuration {
			err = usagef("--%s must be at most 100 years (%v), got %v", f.Name, server.MaxDuration, d)
		}
	})
	return err
}

// flagNames lists every flag of fs, for commands whose flags all come from
// the environment too.
func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

func cmdVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}

func versionString() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if v == "" {
			v = "(unknown)"
		}
		return "imwasm " + v
	}
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	var rev, when string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	out := "imwasm " + v + " " + bi.GoVersion
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " " + rev
		if modified {
			out += "+dirty"
		}
		if when != "" {
			out += " " + when
		}
	}
	return out
}
