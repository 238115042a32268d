package sim

import (
	"strings"
	"testing"

	"github.com/ltikit/ltikit/tool"
)

func TestNotGraded(t *testing.T) {
	t.Parallel()
	ags := &tool.AGSEndpoint{LineItem: "https://lms.example/li/1"}
	for _, tc := range []struct {
		name string
		l    tool.Launch
		want string
	}{
		{"a learner with the grade service", tool.Launch{Subject: "1", Roles: tool.Roles{tool.RoleLearner}, AGS: ags}, ""},
		{"no grade service", tool.Launch{Subject: "1", Roles: tool.Roles{tool.RoleLearner}}, "no grade service"},
		{"anonymous", tool.Launch{Roles: tool.Roles{tool.RoleLearner}, AGS: ags}, "anonymous"},
		{"an instructor", tool.Launch{Subject: "1", Roles: tool.Roles{tool.RoleInstructor}, AGS: ags}, "Preview"},
		{"no role", tool.Launch{Subject: "1", AGS: ags}, "Preview"},
	} {
		got := notGraded(&tc.l)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
