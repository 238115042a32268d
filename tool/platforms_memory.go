package tool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// MemoryPlatforms is a [PlatformStore] held in memory. It is safe for
// concurrent use; deployments recorded by trust-on-first-use are lost on
// restart (use [FilePlatforms] to keep them).
type MemoryPlatforms struct {
	mu        sync.RWMutex
	platforms []Platform
}

// NewMemoryPlatforms returns a store holding ps, after validating each.
func NewMemoryPlatforms(ps ...Platform) (*MemoryPlatforms, error) {
	m := &MemoryPlatforms{}
	for _, p := range ps {
		if err := m.Put(p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Put adds p, or replaces the registration with the same issuer and client_id.
func (m *MemoryPlatforms) Put(p Platform) error {
	if err := p.Validate(); err != nil {
		return err
	}
	p = p.clone()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.platforms = putPlatform(m.platforms, p)
	return nil
}

// Remove deletes the registration (issuer, clientID); it reports whether one existed.
func (m *MemoryPlatforms) Remove(issuer, clientID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.platforms)
	m.platforms = slices.DeleteFunc(m.platforms, func(p Platform) bool {
		return p.Issuer == issuer && p.ClientID == clientID
	})
	return len(m.platforms) != n
}

// List returns a copy of every registration.
func (m *MemoryPlatforms) List() []Platform {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Platform, len(m.platforms))
	for i, p := range m.platforms {
		out[i] = p.clone()
	}
	return out
}

// Platform implements PlatformStore.
func (m *MemoryPlatforms) Platform(_ context.Context, issuer, clientID string) (*Platform, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return findPlatform(m.platforms, issuer, clientID)
}

// AddDeployment implements PlatformStore.
func (m *MemoryPlatforms) AddDeployment(_ context.Context, issuer, clientID, deploymentID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := addDeployment(m.platforms, issuer, clientID, deploymentID)
	return err
}

// findPlatform looks (issuer, clientID) up in ps and returns a copy.
func findPlatform(ps []Platform, issuer, clientID string) (*Platform, error) {
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

// addDeployment appends deploymentID to the matching registration in place.
// It reports whether ps changed.
func addDeployment(ps []Platform, issuer, clientID, deploymentID string) (bool, error) {
	if deploymentID == "" {
		return false, errors.New("tool: empty deployment id")
	}
	for i := range ps {
		p := &ps[i]
		if p.Issuer == issuer && p.ClientID == clientID {
			if p.AllowsDeployment(deploymentID) {
				return false, nil
			}
			p.Deployments = append(slices.Clip(p.Deployments), deploymentID)
			return true, nil
		}
	}
	return false, fmt.Errorf("%w: %s %s", ErrPlatformNotFound, issuer, clientID)
}

// putPlatform replaces or appends p.
func putPlatform(ps []Platform, p Platform) []Platform {
	for i := range ps {
		if ps[i].Issuer == p.Issuer && ps[i].ClientID == p.ClientID {
			ps[i] = p
			return ps
		}
	}
	return append(ps, p)
}
