package middleware

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// RequireRole lets a request through only when its launch has one of roles
// (matched by [tool.Roles.Has], so a sub-role implies its principal). It must
// run after Launch or Session; without a launch the request is refused with
// no_session (401), with the wrong role forbidden_role (403). Refusals are
// written by the tool's ErrorFunc.
func RequireRole(roles ...tool.Role) func(http.Handler) http.Handler {
	return require(func(l *tool.Launch) error {
		names := make([]string, len(roles))
		for i, r := range roles {
			if l.Roles.Has(r) {
				return nil
			}
			names[i] = string(r)
		}
		return &tool.Error{Code: tool.CodeForbiddenRole, Claim: "roles",
			Detail: "this page needs one of the roles " + strings.Join(names, ", ")}
	})
}

// RequireMessageType lets a request through only when its launch has one of
// the message types, e.g. to keep a deep-linking picker from being opened
// by a resource-link launch. Refusals are wrong_message_type (403).
func RequireMessageType(types ...tool.MessageType) func(http.Handler) http.Handler {
	return require(func(l *tool.Launch) error {
		if slices.Contains(types, l.MessageType) {
			return nil
		}
		return &tool.Error{Code: tool.CodeWrongMessageType, Claim: "message_type",
			Detail: "this page cannot be opened by a " + string(l.MessageType)}
	})
}

func require(check func(*tool.Launch) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l, ok := tool.LaunchFrom(r.Context())
			var err error
			if !ok {
				err = &tool.Error{Code: tool.CodeNoSession, Detail: "no launch in the request: put Launch or Session before this middleware"}
			} else {
				err = check(l)
			}
			if err != nil {
				serveError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
