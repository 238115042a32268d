package sim

import (
	"errors"
	"fmt"
	"math"
)

// Landing returns how far from the cannon a shell fired at angle degrees
// above the horizon with speed m/s lands, under gravity g m/s², from
// height metres above the ground the targets stand on (no air drag). The
// lab's script draws the same flight (static/lab.js).
func Landing(angle, speed, gravity, height float64) float64 {
	rad := angle * math.Pi / 180
	vx, vy := speed*math.Cos(rad), speed*math.Sin(rad)
	t := (vy + math.Sqrt(vy*vy+2*gravity*height)) / gravity // the flight time
	return vx * t
}

// Reach is the distance of the longest shot the scenario allows: at
// MaxSpeed, with the best angle from its height.
func (s Scenario) Reach() float64 {
	return MaxSpeed / s.Gravity * math.Sqrt(MaxSpeed*MaxSpeed+2*s.Gravity*s.Height)
}

// Shot is one shot as the learner set it.
type Shot struct {
	Angle float64 `json:"angle"` // degrees, MinAngle to MaxAngle
	Speed float64 `json:"speed"` // m/s, MinSpeed to MaxSpeed
}

// ShotResult is where a shot landed.
type ShotResult struct {
	Shot
	Landing float64 `json:"landing"` // metres from the cannon
	Miss    float64 `json:"miss"`    // landing - target: negative is short
	Hit     bool    `json:"hit"`
}

// TargetResult is the shots at one target.
type TargetResult struct {
	Distance float64      `json:"distance"`
	Shots    []ShotResult `json:"shots"`
	Hit      bool         `json:"hit"`
}

// Attempt is a learner's finished run through a scenario, scored.
type Attempt struct {
	Targets []TargetResult `json:"targets"`
	Hits    int            `json:"hits"`
	Shots   int            `json:"shots"`
	// Accuracy is the score: hits per shot fired, from 0 to 1.
	Accuracy float64 `json:"accuracy"`
}

// errIncomplete and friends say why shots are not a finished attempt.
var (
	errIncomplete = errors.New("sim: the attempt is not finished")
	errBadShot    = errors.New("sim: shot out of range")
)

// Score replays a finished attempt: shots[i] are the shots fired at the
// i-th target, in order. Each target takes shots until one hits or the
// scenario's shots run out, so every target needs at least one shot, only
// the last may hit, and a target without a hit must have used them all.
// The landings are computed here, whatever the browser showed.
func (s Scenario) Score(shots [][]Shot) (Attempt, error) {
	if len(shots) != len(s.Targets) {
		return Attempt{}, fmt.Errorf("%w: shots at %d targets, want %d", errIncomplete, len(shots), len(s.Targets))
	}
	var a Attempt
	for i, target := range s.Targets {
		fired := shots[i]
		if len(fired) == 0 || len(fired) > s.Shots {
			return Attempt{}, fmt.Errorf("%w: %d shots at target %d, want 1 to %d", errIncomplete, len(fired), i+1, s.Shots)
		}
		tr := TargetResult{Distance: target}
		for j, sh := range fired {
			if !inRange(sh.Angle, MinAngle, MaxAngle) || !inRange(sh.Speed, MinSpeed, MaxSpeed) {
				return Attempt{}, fmt.Errorf("%w: angle %v°, speed %v m/s", errBadShot, sh.Angle, sh.Speed)
			}
			land := Landing(sh.Angle, sh.Speed, s.Gravity, s.Height)
			r := ShotResult{Shot: sh, Landing: land, Miss: land - target, Hit: math.Abs(land-target) <= s.Tolerance}
			if r.Hit && j < len(fired)-1 {
				return Attempt{}, fmt.Errorf("%w: shot %d hit target %d, yet more shots follow", errIncomplete, j+1, i+1)
			}
			tr.Shots = append(tr.Shots, r)
			tr.Hit = r.Hit
		}
		if !tr.Hit && len(fired) < s.Shots {
			return Attempt{}, fmt.Errorf("%w: target %d missed with shots left", errIncomplete, i+1)
		}
		a.Shots += len(fired)
		if tr.Hit {
			a.Hits++
		}
		a.Targets = append(a.Targets, tr)
	}
	a.Accuracy = float64(a.Hits) / float64(a.Shots)
	return a, nil
}

// inRange reports whether v is a number from lo to hi.
func inRange(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN

// Aim returns the speed that hits distance at angle from the scenario's
// height, and whether the lab's controls allow it: the exact solution, for
// tests and for the instructor's preview.
func (s Scenario) Aim(angle, distance float64) (float64, bool) {
	rad := angle * math.Pi / 180
	// distance = vx t and -height = vy t - g t²/2, solved for the speed.
	den := 2 * math.Cos(rad) * math.Cos(rad) * (distance*math.Tan(rad) + s.Height)
	if den <= 0 {
		return 0, false
	}
	v := distance * math.Sqrt(s.Gravity/den)
	return v, inRange(v, MinSpeed, MaxSpeed)
}
