package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ltikit/ltikit/tool"
)

// listFlags makes `registrations list`: a table, or with -json the
// registrations file format (docs/registrations.md), so that a database's
// registrations can be copied into a file, and back with add -from.
func listFlags(f *flags) func([]string) (regsAction, error) {
	asJSON := f.Bool("json", false, "print the registrations as a registrations file (JSON), which add -from reads")
	return func(args []string) (regsAction, error) {
		if len(args) > 0 {
			return nil, usagef("unexpected argument %q", args[0])
		}
		return func(ctx context.Context, e *env, s *regsStore) error { return list(ctx, e, s, *asJSON) }, nil
	}
}

// list prints the registrations of s: a table, or a registrations file.
func list(ctx context.Context, e *env, s *regsStore, asJSON bool) error {
	ps, err := s.List(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if ps == nil {
			ps = []tool.Platform{}
		}
		b, err := json.MarshalIndent(struct {
			Platforms []tool.Platform `json:"platforms"`
		}{ps}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	if len(ps) == 0 {
		fmt.Fprintf(e.stdout, "no registrations in %s\n", s.name)
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ISSUER\tCLIENT_ID\tDEPLOYMENTS\tSTATE")
	for _, p := range ps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Issuer, p.ClientID, deployments(p), state(p))
	}
	return w.Flush()
}

// deployments describes the deployments a registration accepts.
func deployments(p tool.Platform) string {
	ids := strings.Join(p.Deployments, ",")
	switch {
	case p.DeploymentPolicy == tool.TrustOnFirstUse && ids != "":
		return "any (trust on first use); seen " + ids
	case p.DeploymentPolicy == tool.TrustOnFirstUse:
		return "any (trust on first use)"
	case ids == "":
		return "none"
	}
	return ids
}

// state says whether a registration's launches are accepted.
func state(p tool.Platform) string {
	switch {
	case p.Disabled:
		return "disabled"
	case p.Pending:
		return "pending approval"
	}
	return "active"
}
