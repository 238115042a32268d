package tool

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// errKeyChanged refuses an Update that changes the registration's key.
var errKeyChanged = errors.New("tool: Update cannot change issuer or client_id; Add a new registration and Remove the old one")

// platformList is the registrations of the in-process stores
// (MemoryPlatforms, FilePlatforms) with the operations of [Registrations].
// It does no locking: the stores do.
type platformList []Platform

// index returns the position of (issuer, clientID), or -1.
func (ps platformList) index(issuer, clientID string) int {
	return slices.IndexFunc(ps, func(p Platform) bool { return p.Issuer == issuer && p.ClientID == clientID })
}

// find looks (issuer, clientID) up and returns a copy; an empty clientID
// matches the issuer's only registration.
func (ps platformList) find(issuer, clientID string) (*Platform, error) {
	var found *Platform
	for i := range ps {
		p := &ps[i]
		if p.Issuer != issuer || (clientID != "" && p.ClientID != clientID) {
			continue
		}
		if found != nil {
			return nil, ErrPlatformAmbiguous
		}
		found = p
	}
	if found == nil {
		return nil, ErrPlatformNotFound
	}
	c := found.clone()
	return &c, nil
}

// sorted returns a deep copy ordered by issuer, then client_id.
func (ps platformList) sorted() []Platform {
	out := ps.clone()
	slices.SortFunc(out, func(a, b Platform) int {
		return cmp.Or(cmp.Compare(a.Issuer, b.Issuer), cmp.Compare(a.ClientID, b.ClientID))
	})
	return out
}

// clone returns a deep copy of ps.
func (ps platformList) clone() platformList {
	out := make(platformList, len(ps))
	for i, p := range ps {
		out[i] = p.clone()
	}
	return out
}

// add validates p and appends a copy of it.
func (ps *platformList) add(p Platform) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if ps.index(p.Issuer, p.ClientID) >= 0 {
		return fmt.Errorf("%w: issuer %s, client_id %s", ErrPlatformExists, p.Issuer, p.ClientID)
	}
	*ps = append(*ps, p.clone())
	return nil
}

// update applies fn to a copy of (issuer, clientID) and stores the result;
// see Registrations.Update.
func (ps platformList) update(issuer, clientID string, fn func(*Platform) error) error {
	i := ps.index(issuer, clientID)
	if i < 0 {
		return fmt.Errorf("%w: issuer %s, client_id %s", ErrPlatformNotFound, issuer, clientID)
	}
	p := ps[i].clone()
	if err := fn(&p); err != nil {
		return err
	}
	if p.Issuer != issuer || p.ClientID != clientID {
		return errKeyChanged
	}
	if err := p.Validate(); err != nil {
		return err
	}
	ps[i] = p.clone()
	return nil
}

// remove deletes (issuer, clientID).
func (ps *platformList) remove(issuer, clientID string) error {
	i := ps.index(issuer, clientID)
	if i < 0 {
		return fmt.Errorf("%w: issuer %s, client_id %s", ErrPlatformNotFound, issuer, clientID)
	}
	*ps = slices.Delete(*ps, i, i+1)
	return nil
}

// addDeployment appends deploymentID to (issuer, clientID) unless it is
// there; it reports whether ps changed.
func (ps platformList) addDeployment(issuer, clientID, deploymentID string) (bool, error) {
	if deploymentID == "" {
		return false, errors.New("tool: empty deployment id")
	}
	i := ps.index(issuer, clientID)
	if i < 0 {
		return false, fmt.Errorf("%w: issuer %s, client_id %s", ErrPlatformNotFound, issuer, clientID)
	}
	p := &ps[i]
	if p.AllowsDeployment(deploymentID) {
		return false, nil
	}
	p.Deployments = append(slices.Clip(p.Deployments), deploymentID)
	return true, nil
}
