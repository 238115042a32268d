//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package outbox

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the file at path, creating it if
// needed, without waiting: ErrLocked when another open file holds it, in
// this process or another. It returns the function that releases it.
func lockDir(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
