package storetest

import "testing"

// subtest is one named check of a conformance suite for stores of type S.
type subtest[S any] struct {
	name string
	run  func(t testing.TB, s S)
}

// runSuite runs each of tests as a subtest of t against a new store.
func runSuite[S comparable](t *testing.T, tests []subtest[S], newStore func(t *testing.T) S) {
	var zero S
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == zero {
				t.Fatal("storetest: newStore returned nil")
			}
			tc.run(t, s)
		})
	}
}
