package jwks

import "fmt"

// keyIndex is an immutable, pre-converted key set: built once per fetch (or
// per NewStatic) and shared read-only by every verification.
type keyIndex struct {
	all   []verKey
	byKID map[string][]verKey
	// requireKID refuses tokens without kid even for a one-key set: remote
	// (JWKS URL) sets, where the LTI certification suite's "No KID" launch
	// must fail (SEC-VAL-13).
	requireKID bool
}

// newKeyIndex indexes keys by kid. keys must not be modified afterwards.
func newKeyIndex(keys []verKey, requireKID bool) *keyIndex {
	ix := &keyIndex{all: keys, byKID: make(map[string][]verKey, len(keys)), requireKID: requireKID}
	for _, k := range keys {
		if k.kid != "" {
			ix.byKID[k.kid] = append(ix.byKID[k.kid], k)
		}
	}
	return ix
}

// candidates returns the keys that may have signed a token with kid. A
// missing kid (unless requireKID), or a kid unknown to a set whose only key
// has none, selects the sole key of a one-key set. The errors are the bare sentinels
// ErrNoKID and ErrUnknownKID, so the lookup does not allocate.
func (ix *keyIndex) candidates(kid string) ([]verKey, error) {
	if ix == nil {
		return nil, ErrUnknownKID
	}
	if kid == "" {
		if len(ix.all) == 1 && !ix.requireKID {
			return ix.all, nil
		}
		return nil, ErrNoKID
	}
	if ks, ok := ix.byKID[kid]; ok {
		return ks, nil
	}
	if len(ix.all) == 1 && ix.all[0].kid == "" {
		return ix.all, nil
	}
	return nil, ErrUnknownKID
}

// kidError adds the kid to a bare lookup sentinel.
func kidError(err error, kid string) error {
	if err == ErrUnknownKID { //nolint:errorlint // bare sentinel from candidates
		return fmt.Errorf("%w %q", ErrUnknownKID, clip(kid))
	}
	return err
}
