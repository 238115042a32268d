package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/pgstore"
	"github.com/ltikit/ltikit/tool"
)

// regsCommand is one `ltikit registrations` sub-command.
type regsCommand struct {
	subcommand
	args, example string
	// flags adds the sub-command's own flags and returns prepare, which
	// checks the positional arguments and the flags once they are parsed
	// and returns what the sub-command does to the store. The store is
	// opened (and, for add, created) only for a valid command line.
	flags func(f *flags) func(args []string) (regsAction, error)
}

// regsAction is what a sub-command does to the store.
type regsAction func(ctx context.Context, e *env, s *regsStore) error

// regsCommands are the sub-commands, in the order of the help.
var regsCommands = []regsCommand{
	{subcommand{"list", "list the registrations and their state (active, pending approval, disabled)"},
		"[-json]", "ltikit registrations list -registrations registrations.json", listFlags},
	{subcommand{"add", "add a registration: a Moodle site's, another platform's, or those of a file"},
		"-moodle URL | -issuer URL -auth-url URL [-token-url URL] -jwks-url URL|-public-key FILE; -client-id ID -deployment-id ID...|-trust-on-first-use | -from FILE",
		"ltikit registrations add -moodle https://moodle.example.edu -client-id 2T1DmxSUCu2ZSuu -deployment-id 1", addFlags},
	{subcommand{"approve", "accept a pending or disabled registration's launches"},
		"ISSUER [CLIENT_ID]", "ltikit registrations approve https://moodle.example.edu 2T1DmxSUCu2ZSuu", changeFlags(approve)},
	{subcommand{"disable", "refuse a registration's launches until approved again"},
		"ISSUER [CLIENT_ID]", "ltikit registrations disable -postgres postgres://tool@db/tool https://moodle.example.edu", changeFlags(disable)},
	{subcommand{"remove", "delete a registration, with its deployments"},
		"ISSUER [CLIENT_ID]", "ltikit registrations remove https://moodle.example.edu 2T1DmxSUCu2ZSuu", changeFlags(remove)},
}

func runRegistrations(args []string, e *env) error {
	subs := make([]subcommand, len(regsCommands))
	for i, c := range regsCommands {
		subs[i] = c.subcommand
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		f := newFlags(e, "registrations", "<sub-command> [-registrations FILE | -postgres DSN] [flags] [args]",
			"ltikit registrations approve -registrations registrations.json https://moodle.example.edu")
		f.subs, f.featured = subs, "add"
		if err := f.parse(args); err != nil {
			return err
		}
		return usagef("missing sub-command: %s", subNames(subs))
	}
	i := slices.IndexFunc(regsCommands, func(c regsCommand) bool { return c.name == args[0] })
	if i < 0 {
		return usagef("unknown sub-command %q: want %s", args[0], subNames(subs))
	}
	return helpOf(runRegsCommand(regsCommands[i], args[1:], e), "registrations "+args[0])
}

// runRegsCommand runs the sub-command c with its arguments.
func runRegsCommand(c regsCommand, args []string, e *env) error {
	f := newFlags(e, "registrations "+c.name, "[-registrations FILE | -postgres DSN] "+c.args, c.example)
	file := f.String("registrations", "", "the registrations `FILE` (default $"+tool.PlatformsEnv+", else registrations.json)")
	dsn := f.String("postgres", "", "the PostgreSQL database of the registrations (pgstore), a `DSN` such as postgres://user@host/db")
	prepare := c.flags(f)
	pos, err := f.parseInterleaved(args)
	if err != nil {
		return err
	}
	if *file != "" && *dsn != "" {
		return usagef("give -registrations or -postgres, not both")
	}
	action, err := prepare(pos)
	if err != nil {
		return err
	}
	if *file == "" {
		*file = os.Getenv(tool.PlatformsEnv)
	}
	if *file == "" {
		*file = "registrations.json"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := openRegsStore(ctx, *file, *dsn, c.name == "add")
	if err != nil {
		return err
	}
	defer s.close()
	return action(ctx, e, s)
}

// regsStore is the store the command works on, and its name for messages.
type regsStore struct {
	tool.Registrations
	name  string
	close func()
}

// openRegsStore opens the PostgreSQL store when dsn is set, else the file,
// which create makes when it does not exist.
func openRegsStore(ctx context.Context, file, dsn string, create bool) (*regsStore, error) {
	if dsn != "" {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, usagef("-postgres: %v", err)
		}
		s, err := pgstore.NewPlatforms(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("PostgreSQL: %w", err) // one line: see run
		}
		return &regsStore{Registrations: s, name: "the database", close: pool.Close}, nil
	}
	if create {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = f.WriteString("{\"platforms\": []}\n")
			err = errors.Join(err, f.Close())
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	s, err := tool.OpenPlatforms(file)
	if err != nil {
		return nil, err
	}
	return &regsStore{Registrations: s, name: file, close: func() {}}, nil
}

// find returns the registration of issuer with clientID, or, when clientID
// is empty, the issuer's only registration.
func (s *regsStore) find(ctx context.Context, issuer, clientID string) (tool.Platform, error) {
	all, err := s.List(ctx)
	if err != nil {
		return tool.Platform{}, err
	}
	var match []tool.Platform
	var ids []string
	for _, p := range all {
		if p.Issuer == issuer && (clientID == "" || p.ClientID == clientID) {
			match = append(match, p)
			ids = append(ids, p.ClientID)
		}
	}
	switch {
	case len(match) == 1:
		return match[0], nil
	case len(match) > 1:
		return tool.Platform{}, usagef("%s has %d registrations: give the client_id (%s)", issuer, len(match), strings.Join(ids, ", "))
	case clientID != "":
		return tool.Platform{}, fmt.Errorf("no registration of %s with client_id %s in %s", issuer, clientID, s.name)
	}
	return tool.Platform{}, fmt.Errorf("no registration of %s in %s", issuer, s.name)
}
