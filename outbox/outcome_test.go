package outbox

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// A platform's answer goes into Record.LastError: stores must be able to
// keep it (PostgreSQL's jsonb refuses NUL) and it stays small.
func TestLastError(t *testing.T) {
	tests := []struct {
		name, err, want string
	}{
		{"plain", "400 Bad Request: no such user", "400 Bad Request: no such user"},
		{"NUL from the platform", "400: bad\x00input", "400: badinput"},
		{"invalid UTF-8", "400: \xff\xfe", "400: \uFFFD"},
		{"long", strings.Repeat("é", maxLastError), strings.Repeat("é", maxLastError/2) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lastError(errors.New(tt.err))
			if got != tt.want || !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
				t.Errorf("lastError(%q) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
