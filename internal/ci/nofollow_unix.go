//go:build unix

package ci

import "syscall"

// oNoFollow makes open fail on a symbolic link (ELOOP) instead of writing
// through it.
const oNoFollow = syscall.O_NOFOLLOW
