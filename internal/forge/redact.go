package forge

import "strings"

// Redact returns err with every occurrence of secret in its message replaced
// by "***", so that a token echoed back by a server or a library never
// reaches a log or an output. errors.Is and errors.As still see err. It
// returns nil for a nil err and err itself for an empty secret.
func Redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	return &redacted{err: err, secret: secret}
}

type redacted struct {
	err    error
	secret string
}

func (r *redacted) Error() string { return strings.ReplaceAll(r.err.Error(), r.secret, "***") }

func (r *redacted) Unwrap() error { return r.err }
