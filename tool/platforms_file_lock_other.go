//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package tool

// lockFile does not lock on systems without flock or LockFileEx (such as
// Solaris, Plan 9 and WebAssembly): FilePlatforms then serializes only the
// changes made through one value, with its mutex, as its documentation
// says.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }
