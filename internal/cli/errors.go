package cli

import (
	"errors"
	"fmt"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/releasedef"
)

// usageError marks bad usage or bad configuration found by the command
// line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode is the exit status of a step's outcome, the one place where
// errors become statuses: nil is success; bad usage or configuration (a
// usageError, a release definition's file or input error, a directory
// that is no git repository) is ExitUsage; anything else, the step failed.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var (
		ue usageError
		fe *releasedef.FileError
		ie *releasedef.InputError
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &fe), errors.As(err, &ie), errors.Is(err, gitrepo.ErrNotRepository):
		return ExitUsage
	}
	return ExitFailed
}
