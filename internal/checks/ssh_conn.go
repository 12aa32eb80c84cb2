package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// SSHTarget is how an SSH or goss check reaches a machine: as User at Address (host:port),
// logging in with a private key, and talking to the server only when it proves it holds one
// of the host keys in HostKey. There is no way to skip the host key check.
type SSHTarget struct {
	Address string
	User    string
	// PrivateKeyFile is the path of the client's private key (OpenSSH or PEM format, without
	// a passphrase). Its content never appears in messages.
	PrivateKeyFile string
	// HostKey is the server's public host key: one or more lines in authorized_keys format
	// ("ssh-ed25519 AAAA... comment") or as ssh-keyscan prints them ("host ssh-ed25519 AAAA...").
	HostKey string
}

// sshConn is an SSHTarget ready to dial: its login key loaded and its host keys parsed.
type sshConn struct {
	addr   string
	who    string // "ssh user@address" or "goss user@address", for messages
	pinned []ssh.PublicKey
	signer ssh.Signer
	config ssh.ClientConfig // without HostKeyCallback, which connect sets per attempt
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
}

// prepare checks t and loads what every attempt needs; its errors end the check at once.
func (r *Runner) prepare(kind string, t SSHTarget) (*sshConn, error) {
	who := kind + " " + t.User + "@" + t.Address
	if _, _, err := net.SplitHostPort(t.Address); err != nil {
		return nil, fmt.Errorf("%s: invalid address %q: want host:port", kind, t.Address)
	}
	if t.User == "" {
		return nil, fmt.Errorf("%s %s: no user to log in as", kind, t.Address)
	}
	pinned, err := parseHostKeys(t.HostKey)
	if err != nil {
		return nil, fmt.Errorf("%s: host key: %w", who, err)
	}
	signer, err := loadPrivateKey(t.PrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", who, err)
	}
	var algos []string
	for _, k := range pinned {
		algos = append(algos, hostKeyAlgorithms(k.Type())...)
	}
	return &sshConn{
		addr: t.Address, who: who, pinned: pinned, signer: signer, dial: r.dial(),
		config: ssh.ClientConfig{
			User: t.User,
			Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
			// Ask only for the pinned kinds of key: a server with several host keys would
			// otherwise show one kiln cannot check.
			HostKeyAlgorithms: algos,
		},
	}, nil
}

// sshClient is a logged-in connection; Close also stops watching the attempt's context.
type sshClient struct {
	*ssh.Client
	unwatch func() bool
}

// Close closes the connection.
func (c *sshClient) Close() error {
	c.unwatch()
	return c.Client.Close()
}

// connect dials, checks the host key and logs in; dial, handshake and login together get
// MaxAttemptTimeout at most. Once connected, the connection closes as soon as ctx ends,
// which stops any command running on it.
func (c *sshConn) connect(ctx context.Context) (*sshClient, error) {
	hctx, cancel := context.WithTimeout(ctx, MaxAttemptTimeout)
	defer cancel()
	conn, err := c.dial(hctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", c.who, reason(err))
	}
	stop := context.AfterFunc(hctx, func() { conn.Close() })
	var mismatch error
	cfg := c.config
	cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
		mismatch = c.checkHostKey(key)
		return mismatch
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, c.addr, &cfg)
	if !stop() { // the handshake ran out of time, or ctx ended: conn is closed
		if err == nil {
			sc.Close()
		}
		return nil, fmt.Errorf("%s: timed out connecting", c.who)
	}
	if err != nil {
		conn.Close()
		return nil, c.handshakeError(err, mismatch)
	}
	client := ssh.NewClient(sc, chans, reqs)
	return &sshClient{Client: client, unwatch: context.AfterFunc(ctx, func() { client.Close() })}, nil
}

// checkHostKey accepts key only if it is one of the pinned keys.
func (c *sshConn) checkHostKey(key ssh.PublicKey) error {
	got := key.Marshal()
	for _, k := range c.pinned {
		if string(k.Marshal()) == string(got) {
			return nil
		}
	}
	return permanent(fmt.Errorf("host key mismatch for %s: got %s, want %s",
		c.addr, ssh.FingerprintSHA256(key), c.wanted()))
}

// wanted lists the pinned keys' fingerprints for messages.
func (c *sshConn) wanted() string {
	fps := make([]string, len(c.pinned))
	for i, k := range c.pinned {
		fps[i] = ssh.FingerprintSHA256(k)
	}
	if len(fps) == 1 {
		return fps[0]
	}
	return "one of " + strings.Join(fps, ", ")
}

// handshakeError turns a failed handshake into one line; a host key that is not the pinned
// one, or a server without a key of the pinned kind, ends the check.
func (c *sshConn) handshakeError(err, mismatch error) error {
	if mismatch != nil {
		return mismatch
	}
	var ne *ssh.AlgorithmNegotiationError
	if errors.As(err, &ne) && ne.What == "host key" {
		return permanent(fmt.Errorf("host key mismatch for %s: the server has no host key of the pinned kind (it offers %s), want %s",
			c.addr, strings.Join(ne.RequestedAlgorithms, ", "), c.wanted()))
	}
	msg := strings.TrimPrefix(err.Error(), "ssh: handshake failed: ")
	switch {
	case strings.Contains(msg, "unable to authenticate"): // x/crypto/ssh has no typed error for it
		return fmt.Errorf("%s: login refused for key %s", c.who, ssh.FingerprintSHA256(c.signer.PublicKey()))
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: connection closed during the handshake", c.who)
	}
	return fmt.Errorf("%s: handshake: %s", c.who, strings.TrimPrefix(msg, "ssh: "))
}

// loadPrivateKey reads the login key at path; no message shows any of its content.
func loadPrivateKey(path string) (ssh.Signer, error) {
	if path == "" {
		return nil, errors.New("no private key file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("private key %s: %w", path, err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, fmt.Errorf("private key %s is protected by a passphrase; kiln needs a key without one", path)
	case err != nil:
		return nil, fmt.Errorf("private key %s: not a private key in OpenSSH or PEM format", path)
	}
	return signer, nil
}

// parseHostKeys reads one or more public keys, one a line, in authorized_keys format or as
// ssh-keyscan prints them; blank lines and # comments are skipped. Messages never quote
// the text, in case it holds a private key by mistake.
func parseHostKeys(text string) ([]ssh.PublicKey, error) {
	if strings.Contains(text, "PRIVATE KEY") {
		return nil, errors.New("it holds a private key; give the server's public host key")
	}
	var keys []ssh.PublicKey
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			if _, _, k, _, _, kerr := ssh.ParseKnownHosts([]byte(line)); kerr == nil {
				key, err = k, nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("line %d is not a public key such as \"ssh-ed25519 AAAA...\"", i+1)
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("none given; pin the server's public host key")
	}
	return keys, nil
}

// hostKeyAlgorithms lists the host key algorithms that prove a key of type keyType.
func hostKeyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{keyType}
}
