package tool

import (
	"context"
	"sync"
)

// MemoryPlatforms is a [Registrations] store held in memory, for tests and
// for tools whose registrations are set in code. It is safe for concurrent
// use; everything it records (deployments by trust-on-first-use,
// registrations added or changed) is lost on restart: use [FilePlatforms]
// or pgstore to keep them.
type MemoryPlatforms struct {
	mu        sync.RWMutex
	platforms platformList
}

// NewMemoryPlatforms returns a store holding ps. It validates each and
// refuses two registrations with the same issuer and client_id.
func NewMemoryPlatforms(ps ...Platform) (*MemoryPlatforms, error) {
	m := &MemoryPlatforms{}
	for _, p := range ps {
		if err := m.platforms.add(p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Platform implements [PlatformStore].
func (m *MemoryPlatforms) Platform(_ context.Context, issuer, clientID string) (*Platform, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.platforms.find(issuer, clientID)
}

// AddDeployment implements [PlatformStore].
func (m *MemoryPlatforms) AddDeployment(_ context.Context, issuer, clientID, deploymentID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.platforms.addDeployment(issuer, clientID, deploymentID)
	return err
}

// List implements [Registrations].
func (m *MemoryPlatforms) List(context.Context) ([]Platform, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.platforms.sorted(), nil
}

// Add implements [Registrations].
func (m *MemoryPlatforms) Add(_ context.Context, p Platform) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.platforms.add(p)
}

// Update implements [Registrations].
func (m *MemoryPlatforms) Update(_ context.Context, issuer, clientID string, fn func(*Platform) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.platforms.update(issuer, clientID, fn)
}

// Remove implements [Registrations].
func (m *MemoryPlatforms) Remove(_ context.Context, issuer, clientID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.platforms.remove(issuer, clientID)
}
