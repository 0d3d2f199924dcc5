package forge_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/relman-dev/relman/internal/forge"
)

func TestRedact(t *testing.T) {
	base := fmt.Errorf("GET /x: bad token s3cr3t (s3cr3t): %w", forge.ErrUnauthorized)
	tests := []struct {
		name   string
		err    error
		secret string
		want   string
	}{
		{name: "replaces every occurrence", err: base, secret: "s3cr3t", want: "GET /x: bad token *** (***): the forge refused the token"},
		{name: "empty secret leaves the error alone", err: base, secret: "", want: base.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := forge.Redact(tt.err, tt.secret)
			if got.Error() != tt.want {
				t.Errorf("Redact() = %q, want %q", got, tt.want)
			}
			if !errors.Is(got, forge.ErrUnauthorized) {
				t.Errorf("Redact() lost the wrapped error")
			}
		})
	}
	if forge.Redact(nil, "s3cr3t") != nil {
		t.Errorf("Redact(nil) != nil")
	}
}
