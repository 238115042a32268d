package main

import (
	"context"
	"fmt"

	"github.com/ltikit/ltikit/tool"
)

// change is what approve, disable and remove do to one registration; it
// returns what to tell the administrator.
type change func(ctx context.Context, r tool.Registrations, p tool.Platform) (string, error)

// changeFlags makes the sub-command that applies ch to the registration
// named by ISSUER [CLIENT_ID].
func changeFlags(ch change) func(*flags) func([]string) (regsAction, error) {
	return func(*flags) func([]string) (regsAction, error) {
		return func(args []string) (regsAction, error) {
			if len(args) < 1 || len(args) > 2 {
				return nil, usagef("want ISSUER and, when the issuer has several registrations, CLIENT_ID")
			}
			issuer, clientID := args[0], ""
			if len(args) == 2 {
				clientID = args[1]
			}
			return func(ctx context.Context, e *env, s *regsStore) error {
				p, err := s.find(ctx, issuer, clientID)
				if err != nil {
					return err
				}
				msg, err := ch(ctx, s, p)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s (client_id %s) in %s: %s\n", p.Issuer, p.ClientID, s.name, msg)
				return nil
			}, nil
		}
	}
}

func approve(ctx context.Context, r tool.Registrations, p tool.Platform) (string, error) {
	return "approved; its launches are accepted", tool.Approve(ctx, r, p.Issuer, p.ClientID)
}

func disable(ctx context.Context, r tool.Registrations, p tool.Platform) (string, error) {
	return "disabled; its launches are refused until approved again", tool.Disable(ctx, r, p.Issuer, p.ClientID)
}

func remove(ctx context.Context, r tool.Registrations, p tool.Platform) (string, error) {
	return "removed, with its deployments", r.Remove(ctx, p.Issuer, p.ClientID)
}
