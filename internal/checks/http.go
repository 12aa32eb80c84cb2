package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// maxBody is how much of a response body an HTTP check reads.
const maxBody = 1 << 20

// httpAttempt returns one attempt at the HTTP check h. Its messages name the method, the URL
// without user:password@ and what went wrong, never a header's value.
func (r *Runner) httpAttempt(h HTTP) attemptFunc {
	method := h.method()
	want := h.Status
	if want == 0 {
		want = http.StatusOK
	}
	target := method + " " + redactURL(h.URL)
	client := r.httpClient()
	return func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, method, h.URL, nil)
		if err != nil { // validate checked the method and the URL
			return "", fmt.Errorf("%s: %w", target, err)
		}
		for k, v := range h.Headers {
			if strings.EqualFold(k, "Host") {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("%s: %s", target, reason(err))
		}
		defer resp.Body.Close()
		body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if resp.StatusCode != want {
			return "", fmt.Errorf("%s: status %d, want %d", target, resp.StatusCode, want)
		}
		if h.BodyContains == "" {
			return fmt.Sprintf("%s: status %d", target, resp.StatusCode), nil
		}
		if readErr != nil {
			return "", fmt.Errorf("%s: status %d, reading the body: %s", target, resp.StatusCode, reason(readErr))
		}
		if !bytes.Contains(body, []byte(h.BodyContains)) {
			return "", fmt.Errorf("%s: status %d, body (%s) does not contain %q",
				target, resp.StatusCode, bodySize(len(body)), h.BodyContains)
		}
		return fmt.Sprintf("%s: status %d, body contains %q", target, resp.StatusCode, h.BodyContains), nil
	}
}

// validate reports a URL no attempt could reach, so the check fails at once.
func (h HTTP) validate() error {
	u, err := url.Parse(h.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its text holds the raw URL, userinfo included
			err = ue.Err
		}
		return fmt.Errorf("invalid URL %q: %w", redactURL(h.URL), err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid URL %q: want http:// or https:// and a host", redactURL(h.URL))
	}
	if _, err := http.NewRequest(h.method(), h.URL, nil); err != nil {
		return fmt.Errorf("invalid method %q", h.Method)
	}
	return nil
}

func (h HTTP) method() string {
	if h.Method == "" {
		return http.MethodGet
	}
	return h.Method
}

// httpClient returns the injected client, or one that dials with the Runner's Dial, uses no
// proxy, opens a fresh connection per attempt and reports a redirect instead of following it
// (so a check can expect a 301, and headers never travel to another host).
func (r *Runner) httpClient() *http.Client {
	if r.HTTPClient != nil {
		return r.HTTPClient
	}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:       r.dial(),
			DisableKeepAlives: true,
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reason turns a transport error into the part a user needs: "connection refused" rather
// than the operation, addresses and URL the error repeats.
func reason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before a complete response"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
		var se *os.SyscallError
		if errors.As(err, &se) {
			err = se.Err
		}
	}
	return err.Error()
}

// bodySize describes a body's length for a message.
func bodySize(n int) string {
	if n >= maxBody {
		return "first 1 MiB"
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// redactURL returns raw without its user:password@ part, even when raw does not parse
// or has no scheme.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		u.User = nil
		return u.String()
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndex(raw[start:end], "@"); at >= 0 {
		return raw[:start] + raw[start+at+1:]
	}
	return raw
}
