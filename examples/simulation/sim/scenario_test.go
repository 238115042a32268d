package sim

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseScenario(t *testing.T) {
	t.Parallel()
	moon, _ := Lookup("moon")
	practice := DefaultScenario()
	for _, tc := range []struct {
		name    string
		custom  map[string]string
		want    *Scenario // nil: the error
		wantErr string
	}{
		// What the lab accepts.
		{name: "no custom parameters", custom: nil, want: &practice},
		{name: "a catalog scenario", custom: map[string]string{"scenario": "moon"}, want: &moon},
		{name: "the catalog's own parameters", custom: moon.Custom(), want: &moon},
		{name: "an override", custom: map[string]string{"scenario": "moon", "targets": " 10, 20 ", "shots": "2"},
			want: &Scenario{ID: "moon", Title: "Moon base", Text: moon.Text, Gravity: 1.62, Targets: []float64{10, 20}, Tolerance: 3, Shots: 2}},
		{name: "a scenario of the instructor's own", custom: map[string]string{"scenario": "venus", "gravity": "8.87",
			"height": "0", "targets": "30", "tolerance": "1", "shots": "1"},
			want: &Scenario{ID: "venus", Title: "venus", Gravity: 8.87, Targets: []float64{30}, Tolerance: 1, Shots: 1}},

		// What it refuses, naming the parameter.
		{name: "own scenario without gravity", custom: map[string]string{"scenario": "venus", "targets": "30"}, wantErr: "gravity missing"},
		{name: "own scenario without targets", custom: map[string]string{"scenario": "venus", "gravity": "8.87", "height": "0",
			"tolerance": "1", "shots": "1"}, wantErr: "targets missing"},
		{name: "gravity not a number", custom: map[string]string{"gravity": "strong"}, wantErr: "gravity="},
		{name: "gravity NaN", custom: map[string]string{"gravity": "NaN"}, wantErr: "gravity="},
		{name: "gravity infinite", custom: map[string]string{"gravity": "+Inf"}, wantErr: "gravity="},
		{name: "gravity zero", custom: map[string]string{"gravity": "0"}, wantErr: "gravity="},
		{name: "negative height", custom: map[string]string{"height": "-1"}, wantErr: "height="},
		{name: "tolerance too big", custom: map[string]string{"tolerance": "51"}, wantErr: "tolerance="},
		{name: "no shot", custom: map[string]string{"shots": "0"}, wantErr: "shots="},
		{name: "too many shots", custom: map[string]string{"shots": "6"}, wantErr: "shots="},
		{name: "fractional shots", custom: map[string]string{"shots": "2.5"}, wantErr: "whole number"},
		{name: "empty targets", custom: map[string]string{"targets": ""}, wantErr: "targets="},
		{name: "a target not a number", custom: map[string]string{"targets": "10,x"}, wantErr: "targets="},
		{name: "a target too close", custom: map[string]string{"targets": "0.5"}, wantErr: "targets="},
		{name: "too many targets", custom: map[string]string{"targets": "1,2,3,4,5,6,7,8,9"}, wantErr: "at most 8"},
		{name: "a target out of reach", custom: map[string]string{"targets": "2000"}, wantErr: "out of reach"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseScenario(tc.custom)
			if tc.want == nil {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %+v, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tc.want.ID || got.Title != tc.want.Title || got.Gravity != tc.want.Gravity || got.Height != tc.want.Height ||
				!slices.Equal(got.Targets, tc.want.Targets) || got.Tolerance != tc.want.Tolerance || got.Shots != tc.want.Shots {
				t.Errorf("got %+v, want %+v", got, *tc.want)
			}
		})
	}
}

// Every catalog scenario survives its trip through custom parameters, and
// the catalog is not shared with callers.
func TestScenario_Custom(t *testing.T) {
	t.Parallel()
	for _, s := range Catalog() {
		got, err := ParseScenario(s.Custom())
		if err != nil || !slices.Equal(got.Targets, s.Targets) || got.Gravity != s.Gravity || !maps.Equal(got.Custom(), s.Custom()) {
			t.Errorf("%s: got %+v, %v", s.ID, got, err)
		}
	}
	s := DefaultScenario()
	s.Targets[0] = -1
	c := Catalog()
	c[0].Targets[0] = -1
	if DefaultScenario().Targets[0] == -1 || Catalog()[0].Targets[0] == -1 {
		t.Error("DefaultScenario or Catalog shares the catalog's targets")
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found an unknown scenario")
	}
}

func FuzzParseScenario(f *testing.F) {
	f.Add("moon", "1.62", "0", "40,90", "3", "3")
	f.Add("", "NaN", "-0", ",,", "1e400", "0x10")
	f.Fuzz(func(t *testing.T, id, g, h, targets, tol, shots string) {
		s, err := ParseScenario(map[string]string{"scenario": id, "gravity": g, "height": h, "targets": targets,
			"tolerance": tol, "shots": shots})
		if err != nil {
			return
		}
		if s.Gravity <= 0 || s.Shots < 1 || len(s.Targets) == 0 || s.Tolerance <= 0 {
			t.Fatalf("accepted an unplayable scenario: %+v", s)
		}
		for _, d := range s.Targets {
			if v, ok := s.Aim(45, d); ok && !s.hits(v, d) {
				t.Fatalf("the answer key misses: %+v target %v speed %v", s, d, v)
			}
		}
	})
}
