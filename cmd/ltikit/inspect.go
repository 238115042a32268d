package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/tool"
)

func runInspect(args []string, e *env) error {
	fs := newFlags(e, "inspect", "[-registrations FILE] [-keys DIR] [-now TIME] TOKEN|FILE|-",
		"ltikit inspect -registrations registrations.json id_token.txt")
	regs := fs.String("registrations", os.Getenv(tool.PlatformsEnv), "registrations file to check the token against (env "+tool.PlatformsEnv+")")
	keysDir := fs.String("keys", "", "the tool's key `DIR`, to verify the signature of a deep-linking response the tool signed")
	nowFlag := fs.String("now", "", "the clock to check exp and iat against: RFC 3339 or Unix seconds (default: now)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one token, file name or - (stdin)")
	}
	now := time.Now()
	if *nowFlag != "" {
		var err error
		if now, err = parseTime(*nowFlag); err != nil {
			return usagef("-now: %v", err)
		}
	}
	token, err := readToken(fs.Arg(0), e.stdin)
	if err != nil {
		return err
	}

	var platforms tool.PlatformStore
	if *regs != "" {
		if platforms, err = tool.OpenPlatforms(*regs); err != nil {
			return err
		}
	} else {
		platforms, _ = tool.NewMemoryPlatforms()
	}
	var ring *jwks.KeyRing
	if *keysDir != "" {
		ring, err = jwks.LoadKeyDir(*keysDir)
	} else { // a tool needs keys; without -keys the tool's signature is not checked
		var k jwks.Key
		if k, err = jwks.GenerateKey(); err == nil {
			ring, err = jwks.NewKeyRing(k)
		}
	}
	if err != nil {
		return err
	}
	t, err := tool.New(tool.Config{Platforms: platforms, Keys: ring, BaseURL: "http://localhost",
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer t.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second) // bounds a JWKS fetch
	defer cancel()
	in, err := t.Inspect(ctx, token)
	if err != nil {
		return err
	}
	if in.ToolMessage && *keysDir == "" {
		skip(in, "signature", "give -keys DIR (the tool signed this)")
	}
	printInspection(e.stdout, in, *regs != "")
	if *regs == "" || in.OK() {
		return nil
	}
	return errChecksFailed
}

// readToken takes the token from the argument itself, a file or stdin. A
// file may hold the bare token, a form body, or JSON with a raw_id_token,
// id_token or JWT field (such as the Moodle recordings).
func readToken(arg string, stdin io.Reader) (string, error) {
	var data []byte
	var err error
	switch {
	case arg == "-":
		data, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
	case strings.Count(arg, ".") == 2 && !strings.ContainsAny(arg, "/\\ "):
		if _, statErr := os.Stat(arg); statErr != nil {
			return arg, nil
		}
		fallthrough
	default:
		data, err = os.ReadFile(arg)
	}
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(data))
	var doc map[string]any
	if json.Unmarshal(data, &doc) == nil {
		for _, k := range []string{"raw_id_token", "id_token", "JWT"} {
			if v, ok := doc[k].(string); ok {
				return v, nil
			}
		}
		return "", errors.New("the JSON file has no raw_id_token, id_token or JWT field")
	}
	for _, prefix := range []string{"id_token=", "JWT="} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			s, _, _ = strings.Cut(rest, "&")
		}
	}
	return s, nil
}

// skip marks the check named name skipped, for why.
func skip(in *tool.Inspection, name, why string) {
	for i := range in.Checks {
		if in.Checks[i].Name == name {
			in.Checks[i] = tool.Check{Name: name, Skipped: why}
		}
	}
}

func printInspection(w io.Writer, in *tool.Inspection, registered bool) {
	section := func(title string, m map[string]any) {
		fmt.Fprintln(w, title)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := json.MarshalIndent(m[k], "    ", "  ")
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	}
	section("Header (not verified):", in.Header)
	section("Claims (not verified):", in.Claims)

	fmt.Fprintf(w, "Times (against the clock %s):\n", in.Now.UTC().Format(time.RFC3339))
	for _, name := range []string{"iat", "nbf", "exp"} {
		if n, ok := in.Claims[name].(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				at := time.Unix(0, 0).Add(time.Duration(f * float64(time.Second)))
				fmt.Fprintf(w, "  %s: %s (%s)\n", name, at.UTC().Format(time.RFC3339), relative(at.Sub(in.Now)))
			}
		}
	}
	if !registered {
		fmt.Fprintln(w, "\nNo registrations given (-registrations FILE or LTIKIT_REGISTRATIONS): only decoded, nothing checked.")
		return
	}
	if in.Platform != nil {
		fmt.Fprintf(w, "\nChecks against the registration issuer %s, client_id %s:\n", in.Platform.Issuer, in.Platform.ClientID)
	} else {
		fmt.Fprintln(w, "\nChecks:")
	}
	failed, skipped := 0, 0
	for _, c := range in.Checks {
		switch {
		case c.Skipped != "":
			skipped++
			fmt.Fprintf(w, "  -  %s: skipped, %s\n", c.Name, c.Skipped)
		case c.Err != nil:
			failed++
			fmt.Fprintf(w, "  ✗  %s: %s\n", c.Name, strings.TrimPrefix(c.Err.Error(), "tool: "))
		default:
			fmt.Fprintf(w, "  ✓  %s\n", c.Name)
		}
	}
	switch {
	case failed == 0 && skipped > 0:
		fmt.Fprintf(w, "\nResult: every check that ran passed; %d skipped.\n", skipped)
	case failed == 0:
		fmt.Fprintln(w, "\nResult: every check passed.")
	case in.ToolMessage:
		fmt.Fprintf(w, "\nResult: %d check(s) would fail; the platform would refuse the message.\n", failed)
	default:
		fmt.Fprintf(w, "\nResult: %d check(s) would fail; the launch would be refused with the first one.\n", failed)
	}
}

func relative(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d > 0:
		return "in " + d.String()
	case d < 0:
		return (-d).String() + " ago"
	}
	return "now"
}

func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Parse(time.RFC3339, s)
}
