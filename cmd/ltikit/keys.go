package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// A key directory (jwks.LoadKeyDir) holds <kid>.pem private keys and the
// file "active" naming the signing key. Every key in it is published in the
// tool's JWKS. A running tool reads the directory when it starts, so what
// these commands change takes effect when the tool restarts; they say so.
// The commands below add two states on top: a key that is neither active
// nor retired is "next" (published ahead of use, so platforms that cache
// the tool's JWKS already know it when it starts signing), and
// <kid>.retired records when a key stopped signing; it stays published for
// the grace period, then rotate removes it.
const retiredSuffix = ".retired"

// keysCommands are the sub-commands, in the order of the help, with their
// examples.
var keysCommands = []struct {
	subcommand
	example string
}{
	{subcommand{"new", "create a key: the first is active, later ones are published as next"},
		"ltikit keys new -dir keys        # first key becomes active; later ones are published as next"},
	{subcommand{"rotate", "make the next key active and retire the old one; remove keys retired past -grace"},
		"ltikit keys rotate -dir keys -grace 24h"},
	{subcommand{"list", "list the keys: algorithm, creation time, file mode, state"}, "ltikit keys list -dir keys"},
}

func runKeys(args []string, e *env) error {
	subs := make([]subcommand, len(keysCommands))
	for i, c := range keysCommands {
		subs[i] = c.subcommand
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, "keys", "<sub-command> -dir DIR", "ltikit keys new -dir keys")
		fs.subs, fs.featured = subs, "rotate"
		if err := fs.parse(args); err != nil {
			return err
		}
		return usagef("missing sub-command: %s", subNames(subs))
	}
	i := slices.IndexFunc(subs, func(c subcommand) bool { return c.name == args[0] })
	if i < 0 {
		return usagef("unknown sub-command %q: want %s", args[0], subNames(subs))
	}
	return helpOf(runKeysCommand(args[0], keysCommands[i].example, args[1:], e), "keys "+args[0])
}

// runKeysCommand runs the sub-command sub with its arguments.
func runKeysCommand(sub, example string, args []string, e *env) error {
	usage := "-dir DIR"
	if sub == "rotate" {
		usage = "-dir DIR [-grace DURATION]"
	}
	fs := newFlags(e, "keys "+sub, usage, example)
	dir := fs.String("dir", "keys", "the key `DIR`")
	grace := new(time.Duration)
	if sub == "rotate" {
		fs.DurationVar(grace, "grace", 24*time.Hour, "how long a retired key stays published")
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *grace < 0 {
		return usagef("-grace must not be negative")
	}
	switch sub {
	case "new":
		return keysNew(e, *dir)
	case "rotate":
		return keysRotate(e, *dir, *grace, time.Now())
	default:
		return keysList(e, *dir, time.Now())
	}
}

// keyInfo is one key of a directory with its state.
type keyInfo struct {
	kid, alg string
	created  time.Time
	retired  time.Time // zero unless retired
	active   bool
	mode     os.FileMode
}

// readKeys loads the directory (creating nothing) and describes each key.
func readKeys(dir string) ([]keyInfo, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("key directory: %w", err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.pem"))
	if len(matches) == 0 {
		return nil, nil
	}
	ring, err := jwks.LoadKeyDir(dir)
	if err != nil {
		return nil, err
	}
	var out []keyInfo
	for _, pk := range ring.PublicKeys() {
		fi, err := os.Stat(filepath.Join(dir, pk.KeyID+".pem"))
		if err != nil {
			return nil, err
		}
		k := keyInfo{kid: pk.KeyID, alg: pk.Algorithm, created: fi.ModTime(), mode: fi.Mode().Perm(), active: pk.KeyID == ring.Active().ID}
		if b, err := os.ReadFile(filepath.Join(dir, pk.KeyID+retiredSuffix)); err == nil {
			if k.retired, err = time.Parse(time.RFC3339, strings.TrimSpace(string(b))); err != nil {
				return nil, fmt.Errorf("%s%s: %w", pk.KeyID, retiredSuffix, err)
			}
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].created.Before(out[j].created) })
	return out, nil
}

func keysNew(e *env, dir string) error {
	keys, err := readKeys(dir)
	if errors.Is(err, os.ErrNotExist) {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	k, err := jwks.GenerateKey()
	if err != nil {
		return err
	}
	if err := jwks.SaveKey(dir, k); err != nil {
		return err
	}
	if len(keys) == 0 {
		if err := jwks.SetActiveKey(dir, k.ID); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created key %s (%s) in %s: active once the tool (re)starts\n", k.ID, k.Algorithm, dir)
		return nil
	}
	fmt.Fprintf(e.stdout, "created key %s (%s) in %s: next — published once the tool restarts (it reads %s at start), signs after `ltikit keys rotate`\n",
		k.ID, k.Algorithm, dir, dir)
	return nil
}

// keysRotate makes the newest next key active (creating one if there is
// none), retires the previously active key, and removes retired keys whose
// grace period is over.
func keysRotate(e *env, dir string, grace time.Duration, now time.Time) error {
	keys, err := readKeys(dir)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("no keys in %s: run ltikit keys new -dir %s first", dir, dir)
	}
	var next, old *keyInfo
	for i := range keys {
		switch k := &keys[i]; {
		case k.active:
			old = k
		case k.retired.IsZero():
			next = k // keys are sorted by age: the last one wins
		}
	}
	nextID := ""
	if next != nil {
		nextID = next.kid
	} else {
		k, err := jwks.GenerateKey()
		if err != nil {
			return err
		}
		if err := jwks.SaveKey(dir, k); err != nil {
			return err
		}
		nextID = k.ID
		fmt.Fprintf(e.stdout, "created key %s (no next key was published; platforms that cache the JWKS learn it on their next fetch after the restart)\n", k.ID)
	}
	if old != nil {
		stamp := []byte(now.UTC().Format(time.RFC3339) + "\n")
		if err := os.WriteFile(filepath.Join(dir, old.kid+retiredSuffix), stamp, 0o600); err != nil {
			return err
		}
		old.retired = now
	}
	if err := jwks.SetActiveKey(dir, nextID); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "active key in %s is now %s: restart the tool to sign with it (it reads %[1]s at start)\n", dir, nextID)
	if old != nil {
		fmt.Fprintf(e.stdout, "retired %s: stays published until %s\n", old.kid, now.Add(grace).UTC().Format(time.RFC3339))
	}
	for _, k := range keys {
		if !k.retired.IsZero() && k.kid != nextID && now.Sub(k.retired) >= grace {
			for _, suffix := range []string{".pem", retiredSuffix} {
				if err := os.Remove(filepath.Join(dir, k.kid+suffix)); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "removed %s: retired %s, grace period over (unpublished once the tool restarts)\n", k.kid, k.retired.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func keysList(e *env, dir string, now time.Time) error {
	keys, err := readKeys(dir)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintf(e.stdout, "no keys in %s (ltikit keys new -dir %s creates one)\n", dir, dir)
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tALG\tCREATED\tMODE\tSTATE")
	for _, k := range keys {
		state := "next"
		switch {
		case k.active:
			state = "active"
		case !k.retired.IsZero():
			state = fmt.Sprintf("retired %s ago", now.Sub(k.retired).Round(time.Minute))
		}
		mode := k.mode.String()
		if k.mode&0o077 != 0 {
			mode += " (too open: chmod 600)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.kid, k.alg, k.created.UTC().Format(time.RFC3339), mode, state)
	}
	return w.Flush()
}
