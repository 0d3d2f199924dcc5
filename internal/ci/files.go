package ci

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrSymlink is wrapped when a runner file (GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY, the dotenv report, relman-outputs/) is a symbolic
// link: relman does not write through links, which a repository can commit
// to point anywhere (~/.ssh/authorized_keys, another job's files).
var ErrSymlink = errors.New("is a symbolic link")

// symlinkError says what was found and the fix.
func symlinkError(name string) error {
	return fmt.Errorf("%s %w: relman does not write through symbolic links, which a repository can commit to point outside the job's directory; remove the link (and stop committing it), or set RELMAN_DOTENV to another file", name, ErrSymlink)
}

// openNoFollow opens name for writing with flag, refusing a symbolic link
// (with O_NOFOLLOW where the system has it, so that a link made between the
// check and the open is refused too) and anything but a regular file.
func openNoFollow(name string, flag int) (*os.File, error) {
	if fi, err := os.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, symlinkError(name)
	}
	f, err := os.OpenFile(name, flag|oNoFollow, 0o644)
	if errors.Is(err, syscall.ELOOP) {
		return nil, symlinkError(name)
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s is not a regular file (%s): relman writes its outputs to regular files only", name, fi.Mode().Type())
		}
		return nil, err
	}
	return f, nil
}

func appendFile(name string, b []byte) error {
	f, err := openNoFollow(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFile replaces name's content, refusing a symbolic link.
func writeFile(name string, b []byte) error {
	f, err := openNoFollow(name, os.O_TRUNC|os.O_CREATE|os.O_WRONLY)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirNoFollow creates directory name (and its parents) unless it exists,
// refusing a symbolic link in its place.
func mkdirNoFollow(name string) error {
	fi, err := os.Lstat(name)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return symlinkError(name)
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%s is not a directory", name)
	case err == nil:
		return nil
	}
	return os.MkdirAll(name, 0o755)
}

// endsInNewline reports whether the file name is empty or ends in a newline
// (so that appended lines start on a line of their own); a missing file is
// empty.
func endsInNewline(name string) (bool, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|oNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if errors.Is(err, syscall.ELOOP) {
		return false, symlinkError(name)
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return true, err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, fi.Size()-1); err != nil && err != io.EOF {
		return false, err
	}
	return last[0] == '\n', nil
}
