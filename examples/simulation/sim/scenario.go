package sim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Scenario is one lab exercise: targets at set distances on a planet. The
// instructor picks scenarios by deep linking; each becomes an activity
// whose custom parameters (Scenario.Custom) carry the scenario, so that an
// instructor can also make a new one by editing them in the LMS.
type Scenario struct {
	// ID names the scenario: the custom parameter "scenario" and the line
	// item's resourceId.
	ID string
	// Title and Text describe it; the activity's title and description.
	Title, Text string
	// Gravity is g in m/s².
	Gravity float64
	// Height is how far above the targets the cannon stands, in metres.
	Height float64
	// Targets are the targets' distances from the cannon, in metres, in
	// the order the learner aims at them.
	Targets []float64
	// Tolerance is how far from a target's centre a shot may land and
	// still hit it, in metres.
	Tolerance float64
	// Shots is how many shots the learner has per target.
	Shots int
}

// Limits of a scenario and of a shot, which the lab's controls share.
const (
	MinAngle, MaxAngle = 1.0, 89.0  // degrees
	MinSpeed, MaxSpeed = 1.0, 100.0 // m/s
	maxTargets         = 8
	maxShots           = 5
)

// scenarios is the catalog the instructor picks from; see Catalog.
var scenarios = []Scenario{
	{ID: "practice", Title: "Practice range", Text: "Three targets on flat ground, on Earth.",
		Gravity: 9.81, Targets: []float64{20, 35, 50}, Tolerance: 2, Shots: 3},
	{ID: "cliff", Title: "From the cliff", Text: "Fire from a 30 m cliff: the shells fall further than on flat ground.",
		Gravity: 9.81, Height: 30, Targets: []float64{25, 45, 70}, Tolerance: 2, Shots: 3},
	{ID: "moon", Title: "Moon base", Text: "One sixth of Earth's gravity: gentle shots fly far.",
		Gravity: 1.62, Targets: []float64{40, 90, 150}, Tolerance: 3, Shots: 3},
	{ID: "mars", Title: "Mars crater", Text: "Mars gravity, four targets across a crater, from a 10 m rim.",
		Gravity: 3.71, Height: 10, Targets: []float64{30, 60, 95, 130}, Tolerance: 2.5, Shots: 3},
}

// Catalog returns the scenarios the instructor picks from.
func Catalog() []Scenario {
	out := make([]Scenario, len(scenarios))
	for i, s := range scenarios {
		out[i] = clone(s)
	}
	return out
}

// DefaultScenario is the scenario of an activity without one in its custom
// parameters, such as a tool link added to a course by hand.
func DefaultScenario() Scenario { return clone(scenarios[0]) }

// Lookup returns the catalog's scenario id.
func Lookup(id string) (Scenario, bool) {
	i := slices.IndexFunc(scenarios, func(s Scenario) bool { return s.ID == id })
	if i < 0 {
		return Scenario{}, false
	}
	return clone(scenarios[i]), true
}

func clone(s Scenario) Scenario {
	s.Targets = slices.Clone(s.Targets)
	return s
}

// The custom parameters that carry a scenario.
const (
	paramScenario  = "scenario"
	paramGravity   = "gravity"
	paramHeight    = "height"
	paramTargets   = "targets"
	paramTolerance = "tolerance"
	paramShots     = "shots"
)

// Custom returns s as the custom parameters of an activity.
func (s Scenario) Custom() map[string]string {
	targets := make([]string, len(s.Targets))
	for i, t := range s.Targets {
		targets[i] = formatFloat(t)
	}
	return map[string]string{
		paramScenario:  s.ID,
		paramGravity:   formatFloat(s.Gravity),
		paramHeight:    formatFloat(s.Height),
		paramTargets:   strings.Join(targets, ","),
		paramTolerance: formatFloat(s.Tolerance),
		paramShots:     strconv.Itoa(s.Shots),
	}
}

// ParseScenario reads the scenario of a launch from its custom parameters:
// the catalog's scenario named by "scenario" (DefaultScenario without one),
// with every other parameter present overriding its value. An unknown
// scenario needs all of them. It reports the first parameter that is
// missing or out of range.
func ParseScenario(custom map[string]string) (Scenario, error) {
	id := strings.TrimSpace(custom[paramScenario])
	s, known := Lookup(id)
	switch {
	case id == "":
		s, known = DefaultScenario(), true
	case !known:
		s = Scenario{ID: id, Title: id}
	}
	num := func(key string, dst *float64, lo, hi float64) error {
		v, ok := custom[key]
		if !ok {
			if !known {
				return fmt.Errorf("custom parameter %s missing for scenario %q", key, id)
			}
			return nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || f < lo || f > hi {
			return fmt.Errorf("custom parameter %s=%q: want a number from %s to %s", key, v, formatFloat(lo), formatFloat(hi))
		}
		*dst = f
		return nil
	}
	if err := num(paramGravity, &s.Gravity, 0.1, 100); err != nil {
		return Scenario{}, err
	}
	if err := num(paramHeight, &s.Height, 0, 500); err != nil {
		return Scenario{}, err
	}
	if err := num(paramTolerance, &s.Tolerance, 0.1, 50); err != nil {
		return Scenario{}, err
	}
	shots := float64(s.Shots)
	if err := num(paramShots, &shots, 1, maxShots); err != nil {
		return Scenario{}, err
	}
	if shots != math.Trunc(shots) {
		return Scenario{}, fmt.Errorf("custom parameter %s=%q: want a whole number", paramShots, custom[paramShots])
	}
	s.Shots = int(shots)
	if v, ok := custom[paramTargets]; ok {
		targets, err := parseTargets(v)
		if err != nil {
			return Scenario{}, err
		}
		s.Targets = targets
	} else if !known {
		return Scenario{}, fmt.Errorf("custom parameter %s missing for scenario %q", paramTargets, id)
	}
	for _, t := range s.Targets {
		if t > s.Reach() {
			return Scenario{}, fmt.Errorf("target at %s m is out of reach: the longest shot lands at %.0f m", formatFloat(t), s.Reach())
		}
	}
	return s, nil
}

// parseTargets reads "20,35,50": one to maxTargets distances in metres.
func parseTargets(v string) ([]float64, error) {
	parts := strings.Split(v, ",")
	if len(parts) > maxTargets {
		return nil, fmt.Errorf("custom parameter %s: %d targets, want at most %d", paramTargets, len(parts), maxTargets)
	}
	targets := make([]float64, 0, len(parts))
	for _, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || f < 1 || f > 5000 {
			return nil, fmt.Errorf("custom parameter %s=%q: want distances from 1 to 5000 m, separated by commas", paramTargets, v)
		}
		targets = append(targets, f)
	}
	return targets, nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
