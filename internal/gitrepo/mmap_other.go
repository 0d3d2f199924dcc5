//go:build !unix

package gitrepo

import "os"

// mapFile reads a file (where mapping it is not available).
func mapFile(name string) ([]byte, func() error, error) {
	b, err := os.ReadFile(name)
	return b, func() error { return nil }, err
}
