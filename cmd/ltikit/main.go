// Command ltikit is the LTI tool developer's companion: it inspects tokens
// when a launch fails, manages the tool's signing keys, and more.
//
// Usage:
//
//	ltikit <command> [flags] [args]
//
// Commands:
//
//	dev                  run a development LMS in the browser (the simulation, or -tool URL)
//	inspect TOKEN|FILE   decode a token and explain every check that would fail
//	keys new|rotate|list manage the tool's signing keys in a key directory
//	new DIR              create a new tool project from the starter template
//	registrations list|add|approve|disable|remove
//	                     manage the registrations in a file or PostgreSQL
//	version              print the version
//
// Exit status: 0 success, 1 failure (including failed checks), 2 usage error.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// command is one sub-command.
type command struct {
	name, summary string
	run           func(args []string, env *env) error
}

// env is what a command reads and writes.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// usageError is a mistake in the command line: exit status 2. help is the
// command whose -h explains it, such as "registrations add"; "" for the
// command run.
type usageError struct{ msg, help string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// helpOf makes a usage error from a sub-command point at the sub-command's
// help, as `ltikit registrations add -h`; other errors are returned as is.
func helpOf(err error, command string) error {
	var ue *usageError
	if errors.As(err, &ue) && ue.help == "" {
		ue.help = command
	}
	return err
}

// errChecksFailed reports that a command ran but found problems; its
// report is already printed, so nothing more is written.
var errChecksFailed = errors.New("checks failed")

func commands() []command {
	return []command{
		{"dev", "run a development LMS in the browser with the simulation or your tool", runDev},
		{"inspect", "decode a token and explain every check that would fail", runInspect},
		{"keys", "manage the tool's signing keys (new, rotate, list)", runKeys},
		{"new", "create a new tool project from the starter template", runNew},
		{"registrations", "list, add, approve, disable or remove the tool's registrations", runRegistrations},
		{"version", "print the version", runVersion},
	}
}

// run executes the command line and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], e)
		var ue *usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errChecksFailed):
			return 1
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "ltikit %s: %s (see ltikit %s -h)\n", c.name, oneLine(ue.msg), cmp.Or(ue.help, c.name))
			return 2
		default:
			fmt.Fprintf(stderr, "ltikit %s: %s\n", c.name, oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "ltikit: unknown command %q (see ltikit -h)\n", args[0])
	return 2
}

// oneLine joins the lines of an error message into one, dropping repeated
// lines: pgx, for one, reports a failed connection with a line for each
// address it tried, often twice. The command line reports errors on one
// line of stderr.
func oneLine(msg string) string {
	var lines []string
	for l := range strings.SplitSeq(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		return strings.Join(lines, "")
	}
	return lines[0] + " " + strings.Join(lines[1:], "; ")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "ltikit: tools for building LTI 1.3 tools with github.com/ltikit/ltikit")
	fmt.Fprintln(w, "\nUsage: ltikit <command> [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun ltikit <command> -h for a command's flags and an example.")
}

// flags is a flag set that reports errors as one line instead of exiting,
// and prints usage with an example on -h (and its flags, when it has any).
type flags struct {
	*flag.FlagSet
	e                   *env
	name, args, example string
	// subs are a command's sub-commands, listed by its -h, which names
	// the help of the featured one, such as "add", for their flags.
	subs     []subcommand
	featured string
}

// subcommand is a sub-command in its command's help.
type subcommand struct{ name, summary string }

func newFlags(e *env, name, args, example string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, e: e, name: name, args: args, example: example}
}

// subNames lists sub-commands for a message: "new, rotate or list".
func subNames(subs []subcommand) string {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func (f *flags) help() {
	w := f.e.stderr
	fmt.Fprintln(w, strings.TrimSpace("Usage: ltikit "+f.name+" "+f.args))
	if len(f.subs) > 0 {
		fmt.Fprintln(w, "\nSub-commands:")
		for _, s := range f.subs {
			fmt.Fprintf(w, "  %-9s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun ltikit %s <sub-command> -h for its flags and an example, such as ltikit %s %s -h.\n", f.name, f.name, f.featured)
	}
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		f.SetOutput(w)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
	fmt.Fprintf(w, "\nExample:\n  %s\n", f.example)
}

// parse parses args: -h prints the usage, a flag error becomes a usage error.
func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.help()
			return err
		}
		return usagef("%v", err)
	}
	return nil
}
