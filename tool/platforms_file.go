package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// PlatformsEnv is the environment variable examples read the registrations
// file name from (the -registrations flag takes precedence).
const PlatformsEnv = "LTIKIT_REGISTRATIONS"

// platformsFile is the JSON document of a registrations file; see
// docs/registrations.md.
type platformsFile struct {
	Platforms []Platform `json:"platforms"`
}

// FilePlatforms is a [PlatformStore] kept in a JSON file (format in
// docs/registrations.md). It re-reads the file when it changes on disk, and
// writes deployments recorded by trust-on-first-use back atomically (write
// to a temporary file, then rename). It is safe for concurrent use within
// one process; several processes should not record deployments into the
// same file at once.
type FilePlatforms struct {
	path string

	mu        sync.Mutex
	platforms []Platform
	modTime   time.Time
	size      int64
	checked   time.Time
}

// OpenPlatforms reads the registrations file at path and validates every
// registration in it.
func OpenPlatforms(path string) (*FilePlatforms, error) {
	f := &FilePlatforms{path: path}
	if err := f.reload(true); err != nil {
		return nil, err
	}
	return f, nil
}

// ParsePlatforms decodes and validates a registrations document.
func ParsePlatforms(data []byte) ([]Platform, error) {
	var doc platformsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("tool: registrations: %w", err)
	}
	seen := map[[2]string]bool{}
	for i := range doc.Platforms {
		p := &doc.Platforms[i]
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("tool: registrations[%d]: %w", i, err)
		}
		k := [2]string{p.Issuer, p.ClientID}
		if seen[k] {
			return nil, fmt.Errorf("tool: registrations[%d]: duplicate issuer %s and client_id %s", i, p.Issuer, p.ClientID)
		}
		seen[k] = true
	}
	return doc.Platforms, nil
}

// Path is the file's name.
func (f *FilePlatforms) Path() string { return f.path }

// List returns a copy of every registration.
func (f *FilePlatforms) List() ([]Platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reload(false); err != nil {
		return nil, err
	}
	out := make([]Platform, len(f.platforms))
	for i, p := range f.platforms {
		out[i] = p.clone()
	}
	return out, nil
}

// Platform implements PlatformStore.
func (f *FilePlatforms) Platform(_ context.Context, issuer, clientID string) (*Platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reload(false); err != nil {
		return nil, err
	}
	return findPlatform(f.platforms, issuer, clientID)
}

// AddDeployment implements PlatformStore and saves the file.
func (f *FilePlatforms) AddDeployment(_ context.Context, issuer, clientID, deploymentID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reload(true); err != nil {
		return err
	}
	changed, err := addDeployment(f.platforms, issuer, clientID, deploymentID)
	if err != nil || !changed {
		return err
	}
	return f.save()
}

// Put adds or replaces a registration and saves the file.
func (f *FilePlatforms) Put(p Platform) error {
	if err := p.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reload(true); err != nil {
		return err
	}
	f.platforms = putPlatform(f.platforms, p.clone())
	return f.save()
}

// reload re-reads the file if it changed; unless force, it looks at most
// once a second.
func (f *FilePlatforms) reload(force bool) error {
	now := time.Now()
	if !force && now.Sub(f.checked) < time.Second {
		return nil
	}
	f.checked = now
	fi, err := os.Stat(f.path)
	if err != nil {
		if f.platforms != nil && !force {
			return nil // keep serving the last good registrations
		}
		return fmt.Errorf("tool: registrations: %w", err)
	}
	if f.platforms != nil && fi.ModTime().Equal(f.modTime) && fi.Size() == f.size {
		return nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("tool: registrations: %w", err)
	}
	ps, err := ParsePlatforms(data)
	if err != nil {
		if f.platforms != nil && !force {
			return nil // a half-edited file must not take the tool down
		}
		return fmt.Errorf("%w (file %s)", err, f.path)
	}
	f.platforms, f.modTime, f.size = ps, fi.ModTime(), fi.Size()
	if f.platforms == nil {
		f.platforms = []Platform{}
	}
	return nil
}

// save writes the registrations atomically.
func (f *FilePlatforms) save() error {
	data, err := json.MarshalIndent(platformsFile{Platforms: f.platforms}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".registrations-*")
	if err != nil {
		return fmt.Errorf("tool: registrations: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	err = errors.Join(err, tmp.Chmod(0o600), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		return fmt.Errorf("tool: registrations: %w", err)
	}
	if fi, err := os.Stat(f.path); err == nil {
		f.modTime, f.size = fi.ModTime(), fi.Size()
	}
	return nil
}
