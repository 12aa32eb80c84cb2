package checks

import (
	"context"
	"fmt"
	"net"
)

// tcpAttempt returns one attempt at the TCP check t: connect, then close at once.
func (r *Runner) tcpAttempt(t TCP) attemptFunc {
	dial := r.dial()
	return func(ctx context.Context) (string, error) {
		conn, err := dial(ctx, "tcp", t.Address)
		if err != nil {
			return "", fmt.Errorf("tcp %s: %s", t.Address, reason(err))
		}
		conn.Close()
		return fmt.Sprintf("tcp %s: connected", t.Address), nil
	}
}

// validate reports an address no attempt could reach, so the check fails at once.
func (t TCP) validate() error {
	if _, _, err := net.SplitHostPort(t.Address); err != nil {
		return fmt.Errorf("tcp: invalid address %q: want host:port", t.Address)
	}
	return nil
}

// dial returns the injected Dial, or a net.Dialer's.
func (r *Runner) dial() func(ctx context.Context, network, addr string) (net.Conn, error) {
	if r.Dial != nil {
		return r.Dial
	}
	var d net.Dialer
	return d.DialContext
}
