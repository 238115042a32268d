package ltitest

import (
	"errors"
	"strings"
)

// checkCloseCSP reports why the policies (Content-Security-Policy header
// values) served with page, a tool's last registration page, would stop
// the inline script that posts the close message (DR-09) from running in a
// browser; nil when they would not.
func checkCloseCSP(policies []string, page string) error {
	for _, header := range policies {
		for policy := range strings.SplitSeq(header, ",") {
			if why := scriptBlocked(parseCSP(policy), page, closeSubject); why != "" {
				return errors.New(why + " that posts " + closeSubject)
			}
		}
	}
	if _, _, ok := inlineScript(page, closeSubject); !ok {
		return errors.New("no inline script element posts " + closeSubject)
	}
	return nil
}
