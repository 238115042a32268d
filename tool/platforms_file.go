package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// PlatformsEnv is the environment variable examples read the registrations
// file name from (the -registrations flag takes precedence).
const PlatformsEnv = "LTIKIT_REGISTRATIONS"

// maxPlatformsFile bounds the registrations file read into memory.
const maxPlatformsFile = 32 << 20

// platformsFile is the JSON document of a registrations file; see
// docs/registrations.md.
type platformsFile struct {
	Platforms []Platform `json:"platforms"`
}

// FilePlatforms is a [Registrations] store kept in a JSON file (format in
// docs/registrations.md), the default store of the examples and of `ltikit
// registrations`.
//
// Every lookup checks whether the file changed on disk (a stat) and re-reads
// it if so; an invalid edit is ignored by lookups until it is fixed, the
// last good registrations staying in use. Every change (Add, Update,
// Remove, AddDeployment) re-reads the file, refuses to overwrite it if it
// is invalid, and writes it atomically: to a temporary file in the same
// directory, synced, then renamed over the old one, so that readers see the
// old file or the new one, never a mix.
//
// FilePlatforms is safe for concurrent use. Changes are serialized through
// a lock on the file name + ".lock" (flock on Unix, LockFileEx on Windows),
// so that several FilePlatforms of the same file, in one process or in
// several (a running tool and the ltikit command), never lose each other's
// changes. On other systems only the changes made through one FilePlatforms
// are serialized.
type FilePlatforms struct {
	path string

	mu        sync.Mutex
	platforms platformList // the last good registrations; nil before the first read
	seen      os.FileInfo  // the file last read, good or not
	bad       error        // why the file last read is invalid, or nil
}

// OpenPlatforms reads the registrations file at path and validates every
// registration in it. The file must exist; write {"platforms": []} to start
// without registrations.
func OpenPlatforms(path string) (*FilePlatforms, error) {
	f := &FilePlatforms{path: path}
	if err := f.load(true); err != nil {
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
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("tool: registrations: data after the JSON document")
	}
	var ps platformList
	for i, p := range doc.Platforms {
		if err := ps.add(p); err != nil {
			return nil, fmt.Errorf("tool: registrations[%d]: %w", i, err)
		}
	}
	if ps == nil {
		ps = platformList{}
	}
	return ps, nil
}

// Path is the file's name.
func (f *FilePlatforms) Path() string { return f.path }

// Platform implements [PlatformStore].
func (f *FilePlatforms) Platform(_ context.Context, issuer, clientID string) (*Platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.load(false); err != nil {
		return nil, err
	}
	return f.platforms.find(issuer, clientID)
}

// List implements [Registrations].
func (f *FilePlatforms) List(context.Context) ([]Platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.load(false); err != nil {
		return nil, err
	}
	return f.platforms.sorted(), nil
}

// AddDeployment implements [PlatformStore] and saves the file.
func (f *FilePlatforms) AddDeployment(_ context.Context, issuer, clientID, deploymentID string) error {
	return f.change(func(ps *platformList) (bool, error) {
		return ps.addDeployment(issuer, clientID, deploymentID)
	})
}

// Add implements [Registrations] and saves the file.
func (f *FilePlatforms) Add(_ context.Context, p Platform) error {
	return f.change(func(ps *platformList) (bool, error) { return true, ps.add(p) })
}

// Update implements [Registrations] and saves the file.
func (f *FilePlatforms) Update(_ context.Context, issuer, clientID string, fn func(*Platform) error) error {
	return f.change(func(ps *platformList) (bool, error) { return true, ps.update(issuer, clientID, fn) })
}

// Remove implements [Registrations] and saves the file.
func (f *FilePlatforms) Remove(_ context.Context, issuer, clientID string) error {
	return f.change(func(ps *platformList) (bool, error) { return true, ps.remove(issuer, clientID) })
}

// change applies fn to a copy of the current registrations, under the
// file lock, and saves the copy if fn reports a change. On any error the
// file and the registrations in memory stay as they were.
func (f *FilePlatforms) change(fn func(*platformList) (changed bool, err error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	unlock, err := lockFile(f.path + ".lock")
	if err != nil {
		return fmt.Errorf("tool: registrations: lock: %w", err)
	}
	defer unlock()
	if err := f.load(true); err != nil {
		return err
	}
	ps := f.platforms.clone()
	if changed, err := fn(&ps); err != nil || !changed {
		return err
	}
	if err := f.save(ps); err != nil {
		return err
	}
	f.platforms = ps
	return nil
}

// load re-reads the file if it is not the one last read. Unless strict, a
// missing or invalid file keeps the last good registrations in use.
func (f *FilePlatforms) load(strict bool) error {
	file, err := os.Open(f.path)
	if err != nil {
		return f.loadFailed(strict, fmt.Errorf("tool: registrations: %w", err))
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return f.loadFailed(strict, fmt.Errorf("tool: registrations: %w", err))
	}
	if f.seen != nil && sameVersion(fi, f.seen) {
		if f.bad != nil {
			return f.loadFailed(strict, f.bad)
		}
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(file, maxPlatformsFile+1))
	switch {
	case err != nil:
		return f.loadFailed(strict, fmt.Errorf("tool: registrations: %w", err))
	case len(data) > maxPlatformsFile:
		err = fmt.Errorf("tool: registrations: file larger than %d bytes", maxPlatformsFile)
	default:
		var ps []Platform
		if ps, err = ParsePlatforms(data); err == nil {
			f.platforms = ps
		}
	}
	f.seen, f.bad = fi, nil
	if err != nil {
		f.bad = fmt.Errorf("%w (file %s)", err, f.path)
		return f.loadFailed(strict, f.bad)
	}
	return nil
}

// loadFailed returns err, or nil when the last good registrations may
// stand in for the file.
func (f *FilePlatforms) loadFailed(strict bool, err error) error {
	if !strict && f.platforms != nil {
		return nil
	}
	return err
}

// sameVersion reports whether a and b describe the same file at the same
// version: an atomic replacement is another file, an edit in place changes
// the modification time or the size.
func sameVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// save writes ps atomically and remembers the file written as read.
func (f *FilePlatforms) save(ps platformList) error {
	data, err := json.MarshalIndent(platformsFile{Platforms: ps}, "", "  ")
	if err != nil {
		return fmt.Errorf("tool: registrations: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".registrations-*")
	if err != nil {
		return fmt.Errorf("tool: registrations: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	_, err = tmp.Write(append(data, '\n'))
	err = errors.Join(err, tmp.Chmod(0o600), tmp.Sync(), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		return fmt.Errorf("tool: registrations: %w", err)
	}
	if fi, err := os.Stat(f.path); err == nil {
		f.seen, f.bad = fi, nil
	}
	return nil
}
