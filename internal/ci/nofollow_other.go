//go:build !unix

package ci

// oNoFollow is not available here; writeable checks with Lstat instead.
const oNoFollow = 0
