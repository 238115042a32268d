package sim

import (
	"errors"
	"math"
	"testing"
)

// hits reports whether a 45° shot at speed hits the target at distance.
func (s Scenario) hits(speed, distance float64) bool {
	return math.Abs(Landing(45, speed, s.Gravity, s.Height)-distance) <= s.Tolerance
}

func TestLanding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		angle, speed, g, h, want float64
	}{
		{45, 10, 10, 0, 10},           // v²/g at 45°
		{30, 20, 9.81, 0, 35.3119},    // v² sin 2θ / g
		{45, 10, 10, 10, 16.1803},     // from a 10 m cliff: farther
		{89, 100, 9.81, 0, 35.5754},   // nearly straight up
		{1, 1, 9.81, 0, 0.0035578},    // a dribble
		{45, 100, 1.62, 0, 6172.8395}, // the Moon
	} {
		if got := Landing(tc.angle, tc.speed, tc.g, tc.h); math.Abs(got-tc.want) > 1e-3 {
			t.Errorf("Landing(%v°, %v m/s, g %v, h %v): got %v, want %v", tc.angle, tc.speed, tc.g, tc.h, got, tc.want)
		}
	}
}

// Aim is Landing's inverse, for every scenario and target.
func TestAim(t *testing.T) {
	t.Parallel()
	for _, s := range Catalog() {
		for _, d := range s.Targets {
			for _, angle := range []float64{20, 45, 70} {
				v, ok := s.Aim(angle, d)
				if !ok {
					t.Errorf("%s: target %v at %v° out of range", s.ID, d, angle)
					continue
				}
				if got := Landing(angle, v, s.Gravity, s.Height); math.Abs(got-d) > 1e-9 {
					t.Errorf("%s: Aim(%v°, %v) = %v lands at %v", s.ID, angle, d, v, got)
				}
			}
		}
		if got, want := s.Reach(), bestRange(s); math.Abs(got-want) > 0.01*want {
			t.Errorf("%s: Reach %v, but the best angle reaches %v", s.ID, got, want)
		}
	}
	if _, ok := DefaultScenario().Aim(45, 5000); ok {
		t.Error("Aim found a speed beyond MaxSpeed")
	}
}

// bestRange searches the farthest landing at MaxSpeed.
func bestRange(s Scenario) float64 {
	best := 0.0
	for a := MinAngle; a <= MaxAngle; a += 0.01 {
		best = math.Max(best, Landing(a, MaxSpeed, s.Gravity, s.Height))
	}
	return best
}

func TestScenario_Score(t *testing.T) {
	t.Parallel()
	s := Scenario{Gravity: 10, Targets: []float64{10, 40}, Tolerance: 1, Shots: 2}
	hit1, hit2 := Shot{45, 10}, Shot{45, 20} // land at 10 and 40 m
	miss := Shot{45, 5}                      // lands at 2.5 m
	for _, tc := range []struct {
		name     string
		shots    [][]Shot
		hits     int
		accuracy float64
		err      error
	}{
		{"every target at the first shot", [][]Shot{{hit1}, {hit2}}, 2, 1, nil},
		{"a miss, then a hit", [][]Shot{{miss, hit1}, {hit2}}, 2, 2.0 / 3, nil},
		{"a target missed with every shot", [][]Shot{{hit1}, {miss, miss}}, 1, 1.0 / 3, nil},
		{"everything missed", [][]Shot{{miss, miss}, {miss, miss}}, 0, 0, nil},

		{"no target", nil, 0, 0, errIncomplete},
		{"a target short", [][]Shot{{hit1}}, 0, 0, errIncomplete},
		{"a target too many", [][]Shot{{hit1}, {hit2}, {hit2}}, 0, 0, errIncomplete},
		{"a target without shot", [][]Shot{{hit1}, {}}, 0, 0, errIncomplete},
		{"too many shots", [][]Shot{{miss, miss, hit1}, {hit2}}, 0, 0, errIncomplete},
		{"a shot after a hit", [][]Shot{{hit1, miss}, {hit2}}, 0, 0, errIncomplete},
		{"a miss with shots left", [][]Shot{{hit1}, {miss}}, 0, 0, errIncomplete},
		{"angle too low", [][]Shot{{{0, 10}}, {hit2}}, 0, 0, errBadShot},
		{"angle too high", [][]Shot{{{90, 10}}, {hit2}}, 0, 0, errBadShot},
		{"speed zero", [][]Shot{{{45, 0}}, {hit2}}, 0, 0, errBadShot},
		{"speed too high", [][]Shot{{{45, 101}}, {hit2}}, 0, 0, errBadShot},
		{"angle NaN", [][]Shot{{{math.NaN(), 10}}, {hit2}}, 0, 0, errBadShot},
		{"speed infinite", [][]Shot{{{45, math.Inf(1)}}, {hit2}}, 0, 0, errBadShot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := s.Score(tc.shots)
			if !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			if err == nil && (a.Hits != tc.hits || math.Abs(a.Accuracy-tc.accuracy) > 1e-12 || len(a.Targets) != len(s.Targets)) {
				t.Errorf("got %d hits, accuracy %v; want %d, %v", a.Hits, a.Accuracy, tc.hits, tc.accuracy)
			}
		})
	}
}
