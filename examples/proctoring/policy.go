package main

import "github.com/ltikit/ltikit/tool"

// policy says what integrity events lead to: the attempt is flagged for
// review at the FlagOn-th event that counts and terminated at the
// TerminateAfter-th; 0 switches either off. Events in between, and those
// that do not count (infoEvents), are recorded for the instructor. The defaults (flag on the first, terminate on the third) come
// from the -flag-on and -terminate-after flags.
type policy struct {
	FlagOn         int
	TerminateAfter int
}

// decide returns the Assessment Control action the n-th integrity event of
// an attempt calls for, or "" for none. Termination wins when both fall on
// the same event.
func (p policy) decide(n int) tool.ControlAction {
	switch {
	case p.TerminateAfter > 0 && n == p.TerminateAfter:
		return tool.ControlTerminate
	case p.FlagOn > 0 && n == p.FlagOn:
		return tool.ControlFlag
	}
	return ""
}

// severity is the incident_severity the tool reports with an action: a
// flag is a suspicion, a termination a near certainty.
func severity(a tool.ControlAction) float64 {
	if a == tool.ControlTerminate {
		return 0.9
	}
	return 0.3
}
