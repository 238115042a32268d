package jwks

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// activeFile names the file in a key directory that holds the active kid.
const activeFile = "active"

// LoadKeyDir loads the tool's keys from dir: every *.pem file holds one
// private key (PKCS#1 or PKCS#8; SEC 1 EC keys also work) whose kid is the
// file name without ".pem". The active key is the one named by the file
// dir/active (its content, trimmed, is the kid) if that file exists, else
// the key whose file is newest. The other keys are published too.
//
// If dir is missing, or holds no *.pem file, LoadKeyDir generates a key
// with [GenerateKey], writes it as dir/<kid>.pem with mode 0600 (creating
// dir with mode 0700 when missing; an existing directory's mode is left as
// is) and uses it. Two processes starting together on an empty dir may
// each generate a key; create the key once (for instance at deploy time)
// when several processes share the directory.
func LoadKeyDir(dir string) (*KeyRing, error) {
	if dir == "" {
		return nil, errors.New("jwks: LoadKeyDir needs a directory")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("jwks: create key directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("jwks: create key directory: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("jwks: read key directory: %w", err)
	}

	type loaded struct {
		key   Key
		mtime time.Time
	}
	var keys []loaded
	for _, e := range entries {
		name := e.Name()
		kid, ok := strings.CutSuffix(name, ".pem")
		if !ok || kid == "" || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path) // follows symlinks (e.g. Kubernetes secret mounts)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		k, err := LoadPEM(kid, data)
		if err != nil {
			return nil, fmt.Errorf("jwks: %s: %w", path, err)
		}
		keys = append(keys, loaded{key: k, mtime: fi.ModTime()})
	}

	if len(keys) == 0 {
		k, err := GenerateKey()
		if err != nil {
			return nil, err
		}
		if err := SaveKey(dir, k); err != nil {
			return nil, err
		}
		return NewKeyRing(k)
	}

	active := -1
	switch b, err := os.ReadFile(filepath.Join(dir, activeFile)); {
	case err == nil:
		kid := strings.TrimSpace(string(b))
		for i, l := range keys {
			if l.key.ID == kid {
				active = i
			}
		}
		if active < 0 {
			return nil, fmt.Errorf("jwks: %s names key %q, but there is no %s.pem", filepath.Join(dir, activeFile), clip(kid), clip(kid))
		}
	case errors.Is(err, fs.ErrNotExist):
		active = 0
		for i, l := range keys[1:] {
			if newer(l.mtime, l.key.ID, keys[active].mtime, keys[active].key.ID) {
				active = i + 1
			}
		}
	default:
		return nil, fmt.Errorf("jwks: read active key file: %w", err)
	}

	others := make([]Key, 0, len(keys)-1)
	for i, l := range keys {
		if i != active {
			others = append(others, l.key)
		}
	}
	return NewKeyRing(keys[active].key, others...)
}

// newer orders key files by modification time, then by name, so the
// choice of the active key is deterministic.
func newer(t1 time.Time, id1 string, t2 time.Time, id2 string) bool {
	if !t1.Equal(t2) {
		return t1.After(t2)
	}
	return id1 > id2
}

// SaveKey stores k in the key directory dir as dir/<kid>.pem (PKCS#8, mode
// 0600), through a temporary file and a rename so a reader never sees a
// partial key. k.Signer must be a software key (RSA, EC or Ed25519).
func SaveKey(dir string, k Key) error {
	if k.ID == "" || strings.ContainsAny(k.ID, `/\`) || strings.HasPrefix(k.ID, ".") {
		return fmt.Errorf("jwks: key id %q cannot name a file", clip(k.ID))
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return fmt.Errorf("jwks: encode key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := os.CreateTemp(dir, ".key-*.tmp")
	if err != nil {
		return fmt.Errorf("jwks: write key: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("jwks: write key: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("jwks: write key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("jwks: write key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("jwks: write key: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, k.ID+".pem")); err != nil {
		return fmt.Errorf("jwks: write key: %w", err)
	}
	return nil
}

// SetActiveKey makes kid the signing key of the key directory dir (the
// file dir/active). The key must exist as dir/<kid>.pem.
func SetActiveKey(dir, kid string) error {
	if _, err := os.Stat(filepath.Join(dir, kid+".pem")); err != nil {
		return fmt.Errorf("jwks: no key %q in %s: %w", clip(kid), dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".active-*.tmp")
	if err != nil {
		return fmt.Errorf("jwks: set active key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(kid + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, activeFile))
	}
	if err != nil {
		return fmt.Errorf("jwks: set active key: %w", err)
	}
	return nil
}
