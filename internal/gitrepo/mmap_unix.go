//go:build unix

package gitrepo

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a file read-only: a pack index is read in a few places by
// binary search, so mapping it costs the pages touched, not the file.
func mapFile(name string) ([]byte, func() error, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if size == 0 || size != int64(int(size)) {
		return nil, nil, fmt.Errorf("%s: %d bytes", name, size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		// Some file systems cannot map: read the file instead.
		b, err := os.ReadFile(name)
		return b, func() error { return nil }, err
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
