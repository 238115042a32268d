package tool_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ltikit/ltikit/tool"
)

// An administrator's round over the registrations, as `ltikit
// registrations` does it on the tool's store: a registration made by
// dynamic registration waits for approval, is approved, then disabled.
func ExampleRegistrations() {
	ctx := context.Background()
	var regs tool.Registrations
	regs, err := tool.NewMemoryPlatforms() // or tool.OpenPlatforms(file), pgstore.NewPlatforms(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	err = regs.Add(ctx, tool.Platform{
		Issuer: "https://moodle.example.edu", ClientID: "f1Jrwm4BKsV9HY1", Deployments: []string{"2"},
		AuthURL: "https://moodle.example.edu/mod/lti/auth.php", JWKSURL: "https://moodle.example.edu/mod/lti/certs.php",
		Pending: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	list := func() {
		ps, err := regs.List(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, p := range ps {
			fmt.Printf("%s %s active=%v pending=%v disabled=%v deployments=%v\n",
				p.Issuer, p.ClientID, p.Active(), p.Pending, p.Disabled, p.Deployments)
		}
	}
	list()
	if err := tool.Approve(ctx, regs, "https://moodle.example.edu", "f1Jrwm4BKsV9HY1"); err != nil {
		log.Fatal(err)
	}
	list()
	if err := tool.Disable(ctx, regs, "https://moodle.example.edu", "f1Jrwm4BKsV9HY1"); err != nil {
		log.Fatal(err)
	}
	list()
	if err := regs.Remove(ctx, "https://moodle.example.edu", "f1Jrwm4BKsV9HY1"); err != nil {
		log.Fatal(err)
	}
	list()
	// Output:
	// https://moodle.example.edu f1Jrwm4BKsV9HY1 active=false pending=true disabled=false deployments=[2]
	// https://moodle.example.edu f1Jrwm4BKsV9HY1 active=true pending=false disabled=false deployments=[2]
	// https://moodle.example.edu f1Jrwm4BKsV9HY1 active=false pending=false disabled=true deployments=[2]
}
