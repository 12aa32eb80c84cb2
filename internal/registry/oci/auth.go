package oci

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// credentialHelp says, in error messages, where credentials come from.
const credentialHelp = "kiln logs in with KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD (a Vault secret or the environment), " +
	"else GitLab CI's CI_REGISTRY_USER/CI_REGISTRY_PASSWORD or CI_JOB_TOKEN for $CI_REGISTRY, GitHub Actions' GITHUB_TOKEN for ghcr.io, " +
	"else docker login's config.json"

// The variables credentials come from.
const (
	EnvUsername = "KILN_REGISTRY_USERNAME"
	EnvPassword = "KILN_REGISTRY_PASSWORD"
)

// Credentials returns the credentials for the registry at host (host[:port]) and where
// they came from (for messages; never the secret), in this order:
//
//  1. KILN_REGISTRY_USERNAME and KILN_REGISTRY_PASSWORD, which the step's environment
//     holds when a vault.secrets entry maps a Vault secret to them (getenv sees Vault's
//     secrets first) or when the job sets them;
//  2. in a GitLab CI job, for the project's registry ($CI_REGISTRY) only:
//     CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, else CI_JOB_TOKEN as gitlab-ci-token;
//  3. in a GitHub Actions job, for ghcr.io only: GITHUB_TOKEN as $GITHUB_ACTOR;
//  4. docker login's config file, $DOCKER_CONFIG/config.json or ~/.docker/config.json
//     (its auths entries, or the credential helper it names);
//  5. none: anonymous access.
//
// CI tokens only ever go to their own CI's registry, never to another host.
func Credentials(ctx context.Context, getenv func(string) string, host string) (auth.Credential, string, error) {
	user, pass := getenv(EnvUsername), getenv(EnvPassword)
	switch {
	case user != "" && pass != "":
		return auth.Credential{Username: user, Password: pass}, EnvUsername + "/" + EnvPassword, nil
	case user != "" || pass != "":
		return auth.EmptyCredential, "", exitcode.New(exitcode.Usage, "%s and %s go together: only one is set", EnvUsername, EnvPassword)
	}
	if getenv("GITLAB_CI") == "true" && sameHost(getenv("CI_REGISTRY"), host) {
		if u, p := getenv("CI_REGISTRY_USER"), getenv("CI_REGISTRY_PASSWORD"); u != "" && p != "" {
			return auth.Credential{Username: u, Password: p}, "GitLab CI's CI_REGISTRY_USER/CI_REGISTRY_PASSWORD", nil
		}
		if tok := getenv("CI_JOB_TOKEN"); tok != "" {
			return auth.Credential{Username: "gitlab-ci-token", Password: tok}, "GitLab CI's CI_JOB_TOKEN", nil
		}
	}
	if getenv("GITHUB_ACTIONS") == "true" && sameHost("ghcr.io", host) {
		if tok := getenv("GITHUB_TOKEN"); tok != "" {
			actor := getenv("GITHUB_ACTOR")
			if actor == "" {
				actor = "x-access-token"
			}
			return auth.Credential{Username: actor, Password: tok}, "GitHub Actions' GITHUB_TOKEN", nil
		}
	}
	path := dockerConfig(getenv)
	if path == "" {
		return auth.EmptyCredential, "none (anonymous)", nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return auth.EmptyCredential, "none (anonymous)", nil
	}
	store, err := credentials.NewStore(path, credentials.StoreOptions{})
	if err != nil {
		return auth.EmptyCredential, "", exitcode.New(exitcode.Usage, "docker config %s: %v", path, err)
	}
	cred, err := store.Get(ctx, credentials.ServerAddressFromHostname(host))
	if err != nil {
		return auth.EmptyCredential, "", fmt.Errorf("docker config %s: credentials for %s: %w", path, host, err)
	}
	if cred == auth.EmptyCredential {
		return cred, "none (anonymous; " + path + " has none for " + host + ")", nil
	}
	return cred, "docker config " + path, nil
}

// dockerConfig is docker login's config file: $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json; "" without either variable.
func dockerConfig(getenv func(string) string) string {
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".docker", "config.json")
	}
	return ""
}

// sameHost compares two registry hosts (host[:port]), ignoring case; "" matches nothing.
func sameHost(a, b string) bool {
	a = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(a, "https://"), "http://"), "/")
	return a != "" && strings.EqualFold(a, b)
}
